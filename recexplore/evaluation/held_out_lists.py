"""Held-out lists: how well a rating model orders each test user's own held-out movies.

For every test user with at least two held-out ratings, those movies are ranked by a score (the
model's raw score, or a peer's), ties broken by the lower movie id. NDCG@k uses the stars as gains:
DCG@k = sum over ranks r <= k of stars_r / log2(r + 1), divided by the DCG@k of the same movies in
star order; MRR is 1 / the rank of the first 5-star movie, over the users with a held-out 5-star
movie. Both are means over users (each user counts once). The peers order the same lists: the
bias-only fit (its movie offsets decide within a user) and popularity (training ratings per movie).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recexplore.config.metrics import BIAS_ONLY, POPULARITY

KS = (5, 10)
TOP_STARS = 5.0  # MRR's relevant movie: a rating of at least this
MIN_LIST = 2  # a list needs two movies to have an order


@dataclass(frozen=True)
class HeldOutLists:
    """The held-out rows grouped into one list per user (users with at least MIN_LIST rows)."""

    rows: np.ndarray  # positions into the test rows, grouped by user
    group: np.ndarray  # each of those rows' list number, 0 .. n_lists - 1
    stars: np.ndarray
    movies: np.ndarray

    @classmethod
    def of(cls, test: pd.DataFrame) -> HeldOutLists:
        users = test["user_id"].to_numpy()
        _, inverse, counts = np.unique(users, return_inverse=True, return_counts=True)
        kept = np.flatnonzero(counts[inverse] >= MIN_LIST)
        kept = kept[np.argsort(inverse[kept], kind="stable")]
        _, group = np.unique(inverse[kept], return_inverse=True)
        stars = test["user_rating"].to_numpy(np.float64)[kept]
        return cls(kept, group, stars, test["movie_id"].to_numpy()[kept])

    @property
    def n_lists(self) -> int:
        return int(self.group.max(initial=-1)) + 1

    def ranks(self, scores: np.ndarray) -> np.ndarray:
        """Each row's 0-based rank in its list when ordered by `scores` (higher first; ties: lower movie id)."""
        order = np.lexsort((self.movies, -scores, self.group))
        starts = np.searchsorted(self.group[order], self.group[order], side="left")
        ranks = np.empty(len(order), dtype=np.int64)
        ranks[order] = np.arange(len(order)) - starts
        return ranks

    def per_user(self, test_scores: np.ndarray) -> dict[str, np.ndarray]:
        """Each list's NDCG@k (`ndcg_at_<k>`) and reciprocal rank of its first 5-star movie (`rr`:
        NaN where it has none), for the scores of every test row."""
        scores = np.asarray(test_scores, dtype=np.float64)[self.rows]
        ranks, ideal = self.ranks(scores), self.ranks(self.stars)
        out = {}
        for k in KS:
            out[f"ndcg_at_{k}"] = _dcg(ranks, self.stars, self.group, self.n_lists, k) / _dcg(
                ideal, self.stars, self.group, self.n_lists, k
            )
        top = self.stars >= TOP_STARS
        first = np.full(self.n_lists, np.inf)
        np.minimum.at(first, self.group[top], ranks[top])
        out["rr"] = np.where(np.isfinite(first), 1.0 / (first + 1.0), np.nan)
        return out

    def report(self, test_scores: np.ndarray) -> dict[str, float]:
        """The means over users: `list_ndcg_at_5`, `list_ndcg_at_10`, `list_mrr`."""
        values = self.per_user(test_scores)
        report = {f"list_ndcg_at_{k}": _mean(values[f"ndcg_at_{k}"]) for k in KS}
        report["list_mrr"] = _mean(values["rr"][np.isfinite(values["rr"])])
        return report


def _dcg(ranks: np.ndarray, gains: np.ndarray, group: np.ndarray, n_lists: int, k: int) -> np.ndarray:
    """Per-list sum of gain / log2(rank + 2) over the rows ranked in the top k."""
    top = ranks < k
    return np.bincount(group[top], weights=gains[top] / np.log2(ranks[top] + 2.0), minlength=n_lists)


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def list_metrics(
    test: pd.DataFrame, scores: np.ndarray, bias_only: np.ndarray, train_counts: Mapping[int, int]
) -> dict[str, float]:
    """The held-out list metrics of a model's raw `scores` of the test rows, and of its peers on
    the same lists: the bias-only predictions and each movie's training ratings (popularity)."""
    lists = HeldOutLists.of(test)
    popularity = test["movie_id"].map(train_counts).fillna(0).to_numpy(np.float64)
    report = lists.report(scores)
    for prefix, peer in ((BIAS_ONLY, bias_only), (POPULARITY, popularity)):
        report.update({prefix + key: value for key, value in lists.report(peer).items()})
    return report
