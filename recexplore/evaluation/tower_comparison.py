"""Retrieval models side by side on the same split or folds: every metric beside popularity and
EASE, results by user group, and which differences are real (compare-towers and Compare towers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np

from recexplore.evaluation.list_metrics import LIST_METRICS, K
from recexplore.evaluation.significance import USER_METRICS, fold_interval, paired_bootstrap, significance_rows

POPULARITY, EASE = "popularity", "EASE"
# Every number a retrieval row carries (the model's; the baselines' with their prefixes).
ROW_METRICS = ("hit_rate_at_10", "hit_rate_at_100", *(f"{m}_at_{K}" for m in LIST_METRICS))


def baseline_metrics(metrics: Mapping[str, Any], prefix: str) -> dict[str, float]:
    """A baseline's numbers from a report where they carry `prefix` (popularity_, ease_), unprefixed."""
    return {m: float(metrics[f"{prefix}{m}"]) for m in ROW_METRICS if f"{prefix}{m}" in metrics}


def split_baseline(metrics: Mapping[str, Any], prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the model's own numbers, the baseline's numbers with their prefix) of a report: a key is the
    baseline's when it is `prefix` + another key of the report (so the model's own
    `popularity_percentile_at_10` stays the model's)."""
    theirs = {k: v for k, v in metrics.items() if k.startswith(prefix) and k[len(prefix) :] in metrics}
    return {k: v for k, v in metrics.items() if k not in theirs}, theirs


def user_tests(per_user: Mapping[str, Mapping[str, Sequence[float]]]) -> list[dict[str, Any]]:
    """Paired bootstrap over users for every pair of scorers (models, popularity, EASE) on one
    split, on hit rate@10 and NDCG@10; Holm over all of them."""
    tests = [
        (a, b, metric, paired_bootstrap(per_user[a], per_user[b], metric))
        for a, b in combinations(per_user, 2)
        for metric in USER_METRICS
    ]
    return significance_rows(tests, over="users")


def fold_tests(per_fold: Mapping[str, Mapping[str, Sequence[float]]]) -> list[dict[str, Any]]:
    """Paired t-tests over folds (the fold means) for every pair of scorers, on hit rate@10 and NDCG@10."""
    tests = [
        (a, b, metric, fold_interval(per_fold[a][metric], per_fold[b][metric]))
        for a, b in combinations(per_fold, 2)
        for metric in USER_METRICS
    ]
    return significance_rows(tests, over="folds")


def compare(
    runs: Sequence[tuple[str, str, Any]],
    ease: Mapping[str, Mapping[str, Any]],
    ease_users: Mapping[str, Mapping[str, Sequence[float]] | None],
    splits: Sequence[str],
) -> dict[str, Any]:
    """The comparison of finished retrieval trainings.

    Args:
        runs: (model label, split, JobResult or TrainResult) of every training.
        ease: split -> EASE's cached report on it.
        ease_users: split -> EASE's per-user values on it (None where not at hand: left out of the tests).
        splits: the splits trained on, in order.

    Returns:
        {"splits", "rows" (one per model: its metrics on one split, or `mean_`/`std_` of each over
        folds), "popularity", "ease" (the same for the baselines), "slices" (model -> its groups, on
        the first split), "significance" (over users on one split, over folds with several),
        "best", "summary"}.
    """
    models = list(dict.fromkeys(label for label, *_ in runs))
    by = {(label, split): result for label, split, result in runs}
    first = splits[0]
    values: dict[str, dict[str, list[float]]] = {m: {} for m in [*models, POPULARITY, EASE]}
    for split in splits:
        for m in models:
            for key in ROW_METRICS:
                values[m].setdefault(key, []).append(float(by[m, split].metrics[key]))
        for name, found in (
            (POPULARITY, baseline_metrics(by[models[0], split].metrics, "popularity_")),
            (EASE, baseline_metrics(ease[split], "ease_")),
        ):
            for key, value in found.items():
                values[name].setdefault(key, []).append(value)
    many = len(splits) > 1

    def summarise(name: str) -> dict[str, Any]:
        if not many:
            return {key: v[0] for key, v in values[name].items()}
        row: dict[str, Any] = {}
        for key, v in values[name].items():
            row[f"mean_{key}"] = float(np.mean(v))
            row[f"std_{key}"] = float(np.std(v, ddof=1))
        row["fold_hit_rate_at_10"] = values[name].get("hit_rate_at_10", [])
        return row

    rows = []
    for m in models:
        result = by[m, first]
        rows.append(
            {
                "model": m,
                "params": int(result.params),
                "train_seconds": float(np.mean([by[m, s].train_seconds for s in splits])),
                **summarise(m),
            }
        )
    if many:
        significance = fold_tests({name: values[name] for name in values if values[name]})
    else:
        per_user = {m: by[m, first].extras["per_user"] for m in models if "per_user" in by[m, first].extras}
        if "popularity_per_user" in by[models[0], first].extras:
            per_user[POPULARITY] = by[models[0], first].extras["popularity_per_user"]
        if ease_users.get(first) is not None:
            per_user[EASE] = ease_users[first]  # type: ignore[assignment]
        significance = user_tests(per_user)
    key = "mean_hit_rate_at_10" if many else "hit_rate_at_10"
    best = max(rows, key=lambda r: r[key])["model"]
    return {
        "splits": list(splits),
        "rows": rows,
        "popularity": summarise(POPULARITY),
        "ease": {**summarise(EASE), "lambda": [float(ease[s]["ease_lambda"]) for s in splits]},
        "slices": {m: by[m, first].extras.get("slices", []) for m in models},
        "significance": significance,
        "best": best,
        "summary": summary_sentence(best, significance, len(splits)),
    }


def summary_sentence(best: str, significance: Sequence[Mapping[str, Any]], n_splits: int) -> str:
    """One sentence on the best model by hit rate@10 and whether its lead over the others is real."""
    mine = [t for t in significance if t["metric"] == "hit_rate_at_10" and best in (t["a"], t["b"])]
    where = f"over {n_splits} folds" if n_splits > 1 else "on this split (tested over its users)"
    ahead, tied, behind = [], [], []
    for t in mine:
        other, lead = (t["b"], t["diff"]) if t["a"] == best else (t["a"], -t["diff"])
        (tied if not t["significant"] else ahead if lead > 0 else behind).append(other)
    head = f"{best} is the best model by hit rate@10 {where}"
    parts = [f"significantly ahead of {', '.join(ahead)}"] if ahead else []
    parts += [f"within noise of {', '.join(tied)}"] if tied else []
    parts += [f"significantly behind {', '.join(behind)}"] if behind else []
    return f"{head}: {'; '.join(parts)}." if parts else f"{head}."
