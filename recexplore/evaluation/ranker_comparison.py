"""Rating models side by side on the same folds: a table with the baselines, mean and spread over
folds, and which differences are real (the CLI's compare-rankers and the Compare rankers page)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from recexplore.config.metrics import BIAS_ONLY, POPULARITY
from recexplore.evaluation.significance import pairwise_verdicts
from recexplore.families import RATING, ModelFamily, task_presets

BASELINES = ("global_mean_rmse", "bias_only_rmse")
LIST_KEYS = ("list_ndcg_at_5", "list_ndcg_at_10", "list_mrr")  # the held-out lists' metrics in every row
LIST_VERDICT = "list_ndcg_at_10"  # the list metric the second set of paired verdicts is on
LIST_PEERS = tuple(prefix + key for prefix in (BIAS_ONLY, POPULARITY) for key in LIST_KEYS)
POINTWISE = ("mse",)  # the losses a comparison trains by default: each star on its own


def loss_of(fam: ModelFamily, preset: str) -> str:
    """The loss a rating preset trains with ('mse', or a list loss)."""
    return str(fam.make_config(preset).training_loss)


def ranker_losses() -> tuple[str, ...]:
    """Every loss some rating preset trains with, in table order."""
    return tuple(dict.fromkeys(loss_of(f, p) for f, p in task_presets(RATING)))


def rankers(losses: Sequence[str] = POINTWISE) -> list[tuple[ModelFamily, str]]:
    """The rating presets a comparison trains: those whose loss is among `losses` (the loss is a
    dimension: `mse` gives DLRM, DCN and the DNN; a list loss adds the listwise preset trained with it);
    ValueError in one line for a loss no preset has."""
    unknown = [loss for loss in losses if loss not in ranker_losses()]
    if unknown or not losses:
        raise ValueError(f"losses must be some of {', '.join(ranker_losses())}, got {', '.join(unknown) or 'none'}")
    return [(f, p) for f, p in task_presets(RATING) if loss_of(f, p) in losses]


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
    lists = {key: {m: [float(by[m, s].metrics.get(key, np.nan)) for s in splits] for m in models} for key in LIST_KEYS}
    baselines = {
        key: [float(next(r.metrics.get(key, np.nan) for (_, s), r in by.items() if s == split)) for split in splits]
        for key in (*BASELINES, *LIST_PEERS)
    }
    many = len(splits) > 1
    rows = []
    for m in models:
        first = by[m, splits[0]]
        loss = str(first.config.training_loss)
        row: dict[str, Any] = {"model": m, "family": family_of[m], "loss": loss, "params": int(first.params)}
        seconds = [float(by[m, s].train_seconds) for s in splits]
        if many:
            row.update(
                mean_test_rmse=float(np.mean(rmse[m])),
                std_test_rmse=float(np.std(rmse[m], ddof=1)),
                mean_test_mae=float(np.mean(mae[m])),
                fold_test_rmse=rmse[m],
                mean_train_seconds=float(np.mean(seconds)),
            )
            for key in LIST_KEYS:
                row.update(
                    {f"mean_{key}": float(np.mean(lists[key][m])), f"std_{key}": float(np.std(lists[key][m], ddof=1))}
                )
            row[f"fold_{LIST_VERDICT}"] = lists[LIST_VERDICT][m]
        else:
            row.update(test_rmse=rmse[m][0], test_mae=mae[m][0], train_seconds=seconds[0])
            row.update({key: lists[key][m][0] for key in LIST_KEYS})
        rows.append(row)
    verdicts = pairwise_verdicts(rmse, lower_is_better=not RATING.higher_is_better)
    list_verdicts = pairwise_verdicts(lists[LIST_VERDICT], lower_is_better=False, metric="list NDCG@10")
    best = min(models, key=lambda m: float(np.mean(rmse[m])))
    baseline_row = {k: (float(np.mean(v)) if many else v[0]) for k, v in baselines.items()}
    summary = summary_sentence(best, verdicts, len(splits))
    list_summary = list_sentence(lists[LIST_VERDICT], list_verdicts, len(splits))
    return {
        "splits": list(splits),
        "rows": rows,
        "baselines": baseline_row,
        "best": best,
        "verdicts": verdicts,
        "list_verdicts": list_verdicts,
        "summary": summary,
        "list_summary": list_summary,
        "lines": [
            *_lines(rows, baseline_row, verdicts, many),
            summary,
            *[v["sentence"] for v in list_verdicts],
            list_summary,
        ],
    }


def list_sentence(ndcg: dict[str, list[float]], verdicts: Sequence[dict[str, Any]], n_splits: int) -> str:
    """One sentence on which model orders the held-out lists best, and how sure it is."""
    best = max(ndcg, key=lambda m: float(np.mean(ndcg[m])))
    if n_splits < 2:
        return f"{best} orders the held-out lists best (list NDCG@10) on this one split; compare over five folds."
    beaten = [
        v["b"] if v["a"] == best else v["a"] for v in verdicts if best in (v["a"], v["b"]) and v["better"] == best
    ]
    others = len(ndcg) - 1
    return (
        f"{best} has the highest mean list NDCG@10 over {n_splits} folds; it beats {len(beaten)} of the "
        f"{others} others significantly" + (f" ({', '.join(beaten)})." if beaten else ".")
    )


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
        lines = [
            f"{'model':<18} {'loss':<17} {'params':>8} {'secs':>6} {'RMSE mean':>10} {'std':>7} {'MAE':>7} {'NDCG@10':>8} {'std':>7}"
        ]
        lines += [
            f"{r['model']:<18} {r['loss']:<17} {r['params']:>8} {r['mean_train_seconds']:>6.1f} {r['mean_test_rmse']:>10.4f} "
            f"{r['std_test_rmse']:>7.4f} {r['mean_test_mae']:>7.4f} {r['mean_list_ndcg_at_10']:>8.4f} {r['std_list_ndcg_at_10']:>7.4f}"
            for r in rows
        ]
    else:
        lines = [
            f"{'model':<18} {'loss':<17} {'params':>8} {'secs':>6} {'RMSE':>8} {'MAE':>7} {'NDCG@10':>8} {'MRR':>7}"
        ]
        lines += [
            f"{r['model']:<18} {r['loss']:<17} {r['params']:>8} {r['train_seconds']:>6.1f} {r['test_rmse']:>8.4f} "
            f"{r['test_mae']:>7.4f} {r['list_ndcg_at_10']:>8.4f} {r['list_mrr']:>7.4f}"
            for r in rows
        ]
    lines.append(
        f"baselines: global mean {baselines['global_mean_rmse']:.4f}, bias only {baselines['bias_only_rmse']:.4f} RMSE; "
        f"list NDCG@10 bias only {baselines['bias_only_list_ndcg_at_10']:.4f}, popularity "
        f"{baselines['popularity_list_ndcg_at_10']:.4f}"
    )
    lines += [v["sentence"] for v in verdicts]
    return lines
