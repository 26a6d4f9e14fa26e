"""EASE as a peer: its lambda chosen on a validation slice, its report on a split, and the cache of both."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from recexplore.config import memory
from recexplore.evaluation.accuracy import HIT_RATE_KS, hits_and_sampled, hits_at
from recexplore.evaluation.list_metrics import LIST_METRICS, K
from recexplore.evaluation.sampled import DEFAULT_SAMPLINGS, Sampling, negatives_for, sampled_report
from recexplore.models.ease import (
    CHOOSE_K,
    EASE_LAMBDAS,
    ITEMS_KEY,
    EaseFit,
    EaseWeights,
    Gram,
    fit_ease,
    fitted_columns,
)
from recexplore.models.score_rows import ScoreRows, ZeroOne


def choose_lambda(
    fit_matrix: ZeroOne,
    val_users: np.ndarray,
    val_items: np.ndarray,
    lambdas: tuple[float, ...] = EASE_LAMBDAS,
    cap: int | None = None,
) -> EaseFit:
    """Pick lambda by hit-rate@CHOOSE_K on validation rows, with `fit_matrix` (training minus
    the validation slice) as the only input and its items excluded (EASE on its `cap` most-rated
    movies when there are more: `fitted_columns`). The search solves once per lambda, so it fits at
    most `memory.EASE_SEARCH_ITEMS` movies, the most rated; the fit that follows holds all it may."""
    columns = fitted_columns(fit_matrix, cap)
    fitted = np.shape(fit_matrix)[1] - 1 if columns is None else len(columns)
    if fitted > memory.EASE_SEARCH_ITEMS:
        columns = fitted_columns(fit_matrix, memory.EASE_SEARCH_ITEMS)
    gram = Gram.of(fit_matrix, columns)
    scores_of = {}
    for lam in lambdas:
        scores = EaseWeights(gram.weights(lam).astype(np.float32), columns).score_rows(fit_matrix)
        hits = hits_at(scores, val_users, val_items, exclude=fit_matrix, ks=(CHOOSE_K,))[CHOOSE_K]
        scores_of[lam] = float(np.mean(hits))
    best = max(scores_of, key=lambda lam: (scores_of[lam], -lam))  # ties: the stronger regularisation
    return EaseFit(best, scores_of)


def ease_report(data: Any, split: Any, seed: int = 42) -> dict[str, Any]:
    """EASE's hit-rates and list metrics on a split's test rows (training movies excluded, as for
    every model), with lambda chosen on a seeded validation slice of the training part, and its
    per-user values (`ease_per_user`) for paired tests against the models. On a catalogue larger
    than `ease_item_cap()`, EASE on the top M movies (the most rated in training): M is the
    report's ITEMS_KEY (absent when every movie was fitted; `items_note` says it in words)."""
    from recexplore.data.features import FeatureSpace, Vocabularies
    from recexplore.data.splits import validation_slice
    from recexplore.evaluation.beyond import Target, user_values
    from recexplore.evaluation.list_metrics import prefixed

    space = FeatureSpace(Vocabularies.build(data), data)
    fit_part, val = validation_slice(split.train, seed)
    choice = choose_lambda(
        space.interaction_csr(fit_part), space.user_index(val["user_id"]), space.movie_index(val["movie_id"])
    )
    target = Target.of(space, split)
    fit = fit_ease(target.seen, choice.lam)
    scores = fit.score_rows(target.seen)
    lists = target.lists(scores)
    report = {
        **ease_hits(scores, target.seen, target.test_users, target.test_items),
        "ease_lambda": choice.lam,
        **prefixed(target.report(lists), "ease_"),
        "ease_per_user": user_values(lists, target),
    }
    if fit.capped:
        report[ITEMS_KEY] = fit.items
    return report


def ease_hits(
    scores: ScoreRows,
    seen: ZeroOne,
    users: np.ndarray,
    items: np.ndarray,
    samplings: Sequence[Sampling] = DEFAULT_SAMPLINGS,
) -> dict[str, float]:
    """EASE's hit rates @10 and @100 on test pairs (training movies excluded) and, from the same
    score rows, its sampled hit rate and NDCG@10 for each of `samplings`."""
    negatives = negatives_for(samplings, seen, users, items)
    hits, sampled = hits_and_sampled(scores, users, items, seen, HIT_RATE_KS, negatives)
    return {
        "ease_hit_rate_at_10": float(np.mean(hits[10])),
        "ease_hit_rate_at_100": float(np.mean(hits[100])),
        **sampled_report(negatives, sampled, "ease_"),
    }


def items_note(report: Mapping[str, Any]) -> str:
    """'EASE on the top M movies (the most rated in training)' for a report fitted on part of the
    catalogue, '' for one fitted on every movie."""
    items = report.get(ITEMS_KEY)
    return "" if items is None else f"EASE on the top {int(items):,} movies (the most rated in training)"


# The cached report's numbers (its per-user values travel beside them, read by `per_user_if_ready`;
# ITEMS_KEY too, where EASE was fitted on the most-rated movies only).
REPORT_KEYS = (
    "ease_hit_rate_at_10",
    "ease_hit_rate_at_100",
    "ease_lambda",
    *(f"ease_{m}_at_{K}" for m in LIST_METRICS),
    *(f"ease_{key}" for sampling in DEFAULT_SAMPLINGS for key in sampling.keys),  # (N: the model's `sampled_n`)
)


def _cache_file(data: Any, split_name: str, split_seed: int, seed: int) -> Any:
    from recexplore.data.movielens import cache_dir

    return cache_dir() / "baselines" / f"ease-{data.fingerprint}-{split_name}-{split_seed}-{seed}.json"


def cached_report(data: Any, split: Any, seed: int = 42) -> dict[str, float]:
    """`ease_report`, computed once per (data, split, seed) on this machine and kept in the cache."""
    path = _cache_file(data, split.name, split.seed, seed)
    ready = cached_report_if_ready(data, split.name, split.seed, seed)
    if ready is not None:
        return ready
    report = ease_report(data, split, seed)
    keep_in_cache(path, report)
    return _numbers(report)


def keep_in_cache(path: Any, payload: Any) -> None:
    """Write `payload` as JSON to the cache file `path` atomically (a temporary file renamed over
    it); a read-only cache is skipped: it only costs the computation again."""
    import json

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(payload))
        tmp.replace(path)
    except OSError:
        pass


def cached_report_with_users(data: Any, split: Any, seed: int = 42) -> tuple[dict[str, float], dict[str, list[float]]]:
    """`cached_report` and EASE's per-user values on the split (from the cache, or computed once
    more where the cache could not be written)."""
    report = cached_report(data, split, seed)
    users = per_user_if_ready(data, split.name, split.seed, seed)
    return report, users if users is not None else ease_report(data, split, seed)["ease_per_user"]


def cached_report_if_ready(data: Any, split_name: str, split_seed: int, seed: int = 42) -> dict[str, float] | None:
    """The cached EASE report of a split (by name and seed), or None when it has not been
    computed yet; it never computes, nor even makes the split."""
    import json

    try:
        report = json.loads(_cache_file(data, split_name, split_seed, seed).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(report, dict) or not all(isinstance(report.get(k), (int, float)) for k in REPORT_KEYS):
        return None  # an older cache (before the list metrics) or a damaged one: computed again
    return _numbers(report)


def saved_report(data: Any, split_name: str, split_seed: int) -> dict[str, float] | None:
    """A saved retrieval model's EASE peer: its split's cached report (the split's seed is the
    validation seed too), or None until Compare towers or the CLI has computed it."""
    return cached_report_if_ready(data, split_name, split_seed, split_seed)


def _numbers(report: Mapping[str, Any]) -> dict[str, float]:
    """A report's REPORT_KEYS, and ITEMS_KEY where EASE was fitted on part of the catalogue."""
    numbers = {k: float(report[k]) for k in REPORT_KEYS if k in report}  # (no sampled keys where none could be drawn)
    if isinstance(report.get(ITEMS_KEY), (int, float)):
        numbers[ITEMS_KEY] = float(report[ITEMS_KEY])
    return numbers


def per_user_if_ready(data: Any, split_name: str, split_seed: int, seed: int = 42) -> dict[str, list[float]] | None:
    """EASE's cached per-user values on a split (for paired tests), or None when not computed yet."""
    import json

    try:
        found = json.loads(_cache_file(data, split_name, split_seed, seed).read_text()).get("ease_per_user")
    except (OSError, ValueError, AttributeError):
        return None
    ok = isinstance(found, dict) and all(isinstance(found.get(k), list) for k in ("hits", "relevant", "ndcg"))
    return found if ok else None
