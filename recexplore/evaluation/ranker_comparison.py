"""Rating models side by side on the same folds: a table with the baselines, mean and spread over
folds, and which differences are real (the CLI's compare-rankers and the Compare rankers page)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from recexplore.evaluation.significance import pairwise_verdicts
from recexplore.families import RATING

BASELINES = ("global_mean_rmse", "bias_only_rmse")


def compare_rows(results: Sequence[tuple[str, str, str, Any]], splits: Sequence[str]) -> dict[str, Any]:
    """The comparison of finished trainings.

    Args:
        results: (model label, family, split, TrainResult or JobResult) for every training.
        splits: the splits trained on, in order.

    Returns:
        {"splits", "rows": one per model (test_rmse ... on one split; mean_test_rmse,
        std_test_rmse, fold_test_rmse ... over folds), "baselines", "best", "verdicts", "lines"}.
    """
    models = list(dict.fromkeys(label for label, *_ in results))
    by = {(label, split): result for label, _, split, result in results}
    family_of = {label: fam for label, fam, *_ in results}
    rmse = {m: [float(by[m, s].metrics["test_rmse"]) for s in splits] for m in models}
    mae = {m: [float(by[m, s].metrics["test_mae"]) for s in splits] for m in models}
    baselines = {
        key: [float(next(r.metrics[key] for (_, s), r in by.items() if s == split)) for split in splits]
        for key in BASELINES
    }
    many = len(splits) > 1
    rows = []
    for m in models:
        first = by[m, splits[0]]
        row: dict[str, Any] = {"model": m, "family": family_of[m], "params": int(first.params)}
        seconds = [float(by[m, s].train_seconds) for s in splits]
        if many:
            row.update(
                mean_test_rmse=float(np.mean(rmse[m])),
                std_test_rmse=float(np.std(rmse[m], ddof=1)),
                mean_test_mae=float(np.mean(mae[m])),
                fold_test_rmse=rmse[m],
                mean_train_seconds=float(np.mean(seconds)),
            )
        else:
            row.update(test_rmse=rmse[m][0], test_mae=mae[m][0], train_seconds=seconds[0])
        rows.append(row)
    verdicts = pairwise_verdicts(rmse, lower_is_better=not RATING.higher_is_better)
    best = min(models, key=lambda m: float(np.mean(rmse[m])))
    baseline_row = {k: (float(np.mean(v)) if many else v[0]) for k, v in baselines.items()}
    summary = summary_sentence(best, verdicts, len(splits))
    return {
        "splits": list(splits),
        "rows": rows,
        "baselines": baseline_row,
        "best": best,
        "verdicts": verdicts,
        "summary": summary,
        "lines": [*_lines(rows, baseline_row, verdicts, many), summary],
    }


def summary_sentence(best: str, verdicts: Sequence[dict[str, Any]], n_splits: int) -> str:
    """One sentence on the winner that says how sure it is."""
    if n_splits < 2:
        return (
            f"{best} has the lowest RMSE on this one split; one split cannot tell a real difference from "
            "noise: compare over all five folds."
        )
    mine = [v for v in verdicts if best in (v["a"], v["b"])]
    beaten = [v["a"] if v["b"] == best else v["b"] for v in mine if v["better"] == best]
    tied = [v["a"] if v["b"] == best else v["b"] for v in mine if v["better"] is None]
    if not tied:
        return f"{best} has the lowest mean RMSE over {n_splits} folds and beats every other model significantly."
    if not beaten:
        return (
            f"{best} has the lowest mean RMSE over {n_splits} folds, but no difference from it is significant "
            f"({', '.join(tied)} are within noise)."
        )
    return (
        f"{best} has the lowest mean RMSE over {n_splits} folds: significantly better than {', '.join(beaten)}, "
        f"within noise of {', '.join(tied)}."
    )


def _lines(
    rows: list[dict[str, Any]], baselines: dict[str, float], verdicts: list[dict[str, Any]], many: bool
) -> list[str]:
    if many:
        lines = [f"{'model':<12} {'params':>8} {'secs':>6} {'RMSE mean':>10} {'std':>7} {'MAE':>7}"]
        lines += [
            f"{r['model']:<12} {r['params']:>8} {r['mean_train_seconds']:>6.1f} {r['mean_test_rmse']:>10.4f} "
            f"{r['std_test_rmse']:>7.4f} {r['mean_test_mae']:>7.4f}"
            for r in rows
        ]
    else:
        lines = [f"{'model':<12} {'params':>8} {'secs':>6} {'RMSE':>8} {'MAE':>7}"]
        lines += [
            f"{r['model']:<12} {r['params']:>8} {r['train_seconds']:>6.1f} {r['test_rmse']:>8.4f} {r['test_mae']:>7.4f}"
            for r in rows
        ]
    lines.append(
        f"baselines: global mean {baselines['global_mean_rmse']:.4f}, bias only {baselines['bias_only_rmse']:.4f} RMSE"
    )
    lines += [v["sentence"] for v in verdicts]
    return lines
