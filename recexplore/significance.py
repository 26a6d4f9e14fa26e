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
