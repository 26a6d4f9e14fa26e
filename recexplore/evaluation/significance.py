"""Is a difference between two models real? Paired tests over folds, Holm's correction, one sentence each."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np

ALPHA = 0.05  # the family-wise error rate the verdicts hold (Holm over every pair)


def paired_p_value(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided p-value of the paired t-test of `a` against `b` (the same folds in the same
    order); NaN with fewer than two pairs. Identical differences on every fold give 0 (or 1
    when they are all zero): the t statistic is then infinite (or undefined)."""
    from scipy import stats

    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if diff.size < 2:
        return float("nan")
    if np.allclose(diff, diff[0], rtol=0.0, atol=1e-12):
        return 1.0 if abs(diff[0]) <= 1e-12 else 0.0
    return float(stats.ttest_rel(a, b).pvalue)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (NaN stays NaN): reject where adjusted <= alpha."""
    order = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    adjusted = [float("nan")] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p))
        adjusted[i] = running
    return adjusted


def pairwise_verdicts(
    scores: Mapping[str, Sequence[float]], lower_is_better: bool, metric: str = "RMSE", alpha: float = ALPHA
) -> list[dict[str, Any]]:
    """Every pair of models compared on the same folds: the mean difference, the paired t-test's
    p-value, Holm's adjusted p-value over all the pairs, and a sentence.

    Args:
        scores: model -> its metric on each fold (every list in the same fold order).
        lower_is_better: True for errors (RMSE), False for hit rates.
        metric: the metric's name in the sentences.
        alpha: the family-wise error rate.
    """
    pairs = list(combinations(scores, 2))
    raw = [paired_p_value(scores[a], scores[b]) for a, b in pairs]
    adjusted = holm(raw)
    folds = len(next(iter(scores.values()), []))
    out = []
    for (a, b), p, p_holm in zip(pairs, raw, adjusted, strict=True):
        diff = float(np.mean(scores[a]) - np.mean(scores[b]))
        a_better = diff < 0 if lower_is_better else diff > 0
        better, worse = (a, b) if a_better else (b, a)
        significant = bool(not math.isnan(p_holm) and p_holm <= alpha and diff != 0)
        if math.isnan(p_holm):
            sentence = f"{a} vs {b}: {abs(diff):.4f} {metric} apart on one split; no test without folds."
        elif significant:
            sentence = (
                f"{better} beats {worse} by {abs(diff):.4f} {metric} over {folds} folds "
                f"(paired t-test p = {p:.3g}, Holm-adjusted {p_holm:.3g}): a real difference."
            )
        else:
            sentence = (
                f"{better} and {worse} differ by {abs(diff):.4f} {metric} over {folds} folds "
                f"(p = {p:.3g}, Holm-adjusted {p_holm:.3g} > {alpha:g}): not distinguishable from noise."
            )
        out.append(
            {
                "a": a,
                "b": b,
                "mean_difference": diff,
                "p_value": p,
                "p_holm": p_holm,
                "significant": significant,
                "better": better if significant else None,
                "sentence": sentence,
            }
        )
    return out


BOOTSTRAP_SAMPLES = 2000  # resamples of the users in a paired bootstrap
BOOTSTRAP_SEED = 0  # fixed: the same verdict on every run
BOOTSTRAP_CHUNK = 100  # resamples drawn at once (bounded memory at any number of users)
USER_METRICS = ("hit_rate_at_10", "ndcg_at_10")  # what a paired test over users compares


def _user_statistic(values: Mapping[str, Sequence[float]], metric: str, rows: np.ndarray) -> np.ndarray:
    """The metric over resampled users (`rows`: samples x users): the hit rate micro-averaged as
    the headline is (held-out hits over held-out interactions), NDCG averaged over users."""
    if metric.startswith("hit_rate"):
        return np.asarray(values["hits"])[rows].sum(axis=-1) / np.asarray(values["relevant"])[rows].sum(axis=-1)
    return np.asarray(values["ndcg"])[rows].mean(axis=-1)


def paired_bootstrap(
    a: Mapping[str, Sequence[float]],
    b: Mapping[str, Sequence[float]],
    metric: str,
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> dict[str, float]:
    """Paired bootstrap over users of `metric`(a) - `metric`(b) on one split.

    Args:
        a, b: per-user values of two models on the same users in the same order (`hits`,
            `relevant`, `ndcg`: beyond_accuracy.user_values).
        metric: 'hit_rate_at_10' or 'ndcg_at_10'.

    Returns:
        `diff` (on all users), the 95% percentile interval `ci_low`/`ci_high`, and the two-sided
        `p_value` (twice the share of resampled differences on the other side of 0, +1 smoothed).
    """
    n = len(a["ndcg"])
    everyone = np.arange(n)[None, :]
    diff = float((_user_statistic(a, metric, everyone) - _user_statistic(b, metric, everyone))[0])
    rng = np.random.default_rng(seed)
    draws = []
    for start in range(0, samples, BOOTSTRAP_CHUNK):
        rows = rng.integers(0, n, size=(min(BOOTSTRAP_CHUNK, samples - start), n))
        draws.append(_user_statistic(a, metric, rows) - _user_statistic(b, metric, rows))
    found = np.concatenate(draws)
    below, above = np.sum(found <= 0), np.sum(found >= 0)
    p = min(1.0, 2 * (min(below, above) + 1) / (samples + 1))
    low, high = np.percentile(found, [2.5, 97.5])
    return {"diff": diff, "ci_low": float(low), "ci_high": float(high), "p_value": float(p)}


def fold_interval(a: Sequence[float], b: Sequence[float]) -> dict[str, float]:
    """Mean of the per-fold differences a - b, its 95% t-interval and the paired t-test's p-value."""
    from scipy import stats

    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    mean = float(diff.mean())
    if diff.size < 2:
        return {"diff": mean, "ci_low": float("nan"), "ci_high": float("nan"), "p_value": float("nan")}
    half = float(stats.t.ppf(0.975, diff.size - 1) * diff.std(ddof=1) / np.sqrt(diff.size))
    return {"diff": mean, "ci_low": mean - half, "ci_high": mean + half, "p_value": paired_p_value(a, b)}


def significance_rows(
    tests: Sequence[tuple[str, str, str, dict[str, float]]], over: str, alpha: float = ALPHA
) -> list[dict[str, Any]]:
    """One row per compared pair and metric: `a`, `b`, `metric`, `diff`, `ci_low`, `ci_high`,
    `p_value`, `p_holm` (Holm over every row), `significant`, `over` ('users' or 'folds') and a
    sentence that states the interval.

    Args:
        tests: (a, b, metric, result of `paired_bootstrap` or `fold_interval`) for each pair.
    """
    adjusted = holm([t[3]["p_value"] for t in tests])
    how = (
        f"paired bootstrap over users, {BOOTSTRAP_SAMPLES} resamples, seed {BOOTSTRAP_SEED}"
        if over == "users"
        else "paired t-test over folds"
    )
    rows = []
    for (a, b, metric, found), p_holm in zip(tests, adjusted, strict=True):
        significant = bool(not math.isnan(p_holm) and p_holm <= alpha)
        interval = f"{found['diff']:+.4f} [{found['ci_low']:+.4f}, {found['ci_high']:+.4f}]"
        verdict = "a real difference" if significant else "not distinguishable from noise"
        rows.append(
            {
                "a": a,
                "b": b,
                "metric": metric,
                **found,
                "p_holm": p_holm,
                "significant": significant,
                "over": over,
                "sentence": (
                    f"{a} - {b}, {metric}: {interval} (95% interval; {how}; p = {found['p_value']:.3g}, "
                    f"Holm-adjusted {p_holm:.3g}): {verdict}."
                ),
            }
        )
    return rows
