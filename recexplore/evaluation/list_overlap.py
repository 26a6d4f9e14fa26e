"""How much two top-k lists agree: set overlap (Jaccard) and rank-biased overlap (RBO)."""

from __future__ import annotations

from collections.abc import Sequence

RBO_PERSISTENCE = 0.9  # RBO's p: the top 10 carry about 86% of the weight


def jaccard(a: Sequence[int], b: Sequence[int]) -> float:
    """|A and B| / |A or B| of the two lists as sets (1.0 for two empty lists)."""
    left, right = set(a), set(b)
    union = left | right
    return len(left & right) / len(union) if union else 1.0


def rank_biased_overlap(a: Sequence[int], b: Sequence[int], p: float = RBO_PERSISTENCE) -> float:
    """Extrapolated rank-biased overlap of two rankings of the same length (Webber, Moffat and
    Zobel 2010, eq. 32): RBO = (1 - p) / p * sum_{d=1..k} p^d X_d / d + p^k X_k / k, where X_d is
    the overlap of the two top-d prefixes. 1 for identical lists, 0 for disjoint ones; agreement
    near the top weighs more than agreement further down, which Jaccard cannot see.

    Raises:
        ValueError: lists of different lengths, or p outside (0, 1).
    """
    if len(a) != len(b):
        raise ValueError(f"rank-biased overlap needs lists of one length, got {len(a)} and {len(b)}")
    if not 0 < p < 1:
        raise ValueError(f"p must be in (0, 1), got {p}")
    k = len(a)
    if k == 0:
        return 1.0
    seen_a: set[int] = set()
    seen_b: set[int] = set()
    overlap, total = 0, 0.0
    for depth, (x, y) in enumerate(zip(a, b, strict=True), start=1):
        if x == y:
            overlap += 1
        else:
            overlap += (x in seen_b) + (y in seen_a)
        seen_a.add(x)
        seen_b.add(y)
        total += p**depth * overlap / depth
    return (1 - p) / p * total + p**k * overlap / k
