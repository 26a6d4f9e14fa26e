"""Beyond hit rate: ranking quality, popularity bias, coverage and diversity of top-k lists.

Every metric here reads the same full-ranking lists as the hit rate: for each evaluated user
(one with at least one held-out interaction), every movie is scored, the movies the user rated
in the training part (and the out-of-vocabulary column 0) are dropped, and the k best are kept,
ties broken by the lower movie index (`top_k`, the order `evaluation.ranks_of` uses). Relevance
is binary: a movie is relevant when it is one of the user's held-out interactions. Cost is
linear in users x k (plus one pass over the score rows to pick the lists, a batch of users at a
time: `evaluation.ScoreRows`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from recexplore.evaluation.accuracy import finite_shared_row, shared_order
from recexplore.models.score_rows import ScoreRows, ZeroOne, axis_counts, dense_rows, exclude_rows

K = 10  # the cutoff of every metric in the reports (the hit rate also has @100)
# The list metrics, as their keys read (`<name>_at_<k>`, prefixed `popularity_` / `ease_` for the baselines).
LIST_METRICS = (
    "ndcg",
    "mrr",
    "catalog_coverage",
    "gini",
    "popularity_percentile",
    "novelty",
    "diversity",
    "personalization",
)
PERSONALIZATION_PAIRS = 2000  # user pairs sampled for personalisation (never users x users)
PAIR_SEED = 0  # their sampling seed: every model of a report is judged on the same pairs


def top_k(scores: np.ndarray | ScoreRows, users: np.ndarray, exclude: ZeroOne | None, k: int) -> np.ndarray:
    """The k best movie indices of each user, best first (see the module docstring).

    Args:
        scores: (n_users, n_items) scores, or (1, n_items) shared by every user (or `evaluation.ScoreRows`:
            read a batch of users at a time, never all at once).
        users: the user rows to rank for.
        exclude: optional (n_users, n_items) mask of each user's dropped movies (nonzero; dense or sparse).
        k: list length (at most the number of movies a user has left; shorter rows pad with 0).

    Returns:
        (len(users), k) int64 movie indices; 0 only where a user has fewer than k movies left.
    """
    source = ScoreRows.of(scores)
    users = np.asarray(users, dtype=np.int64).reshape(-1)
    k = min(k, source.n_items - 1)
    shared = finite_shared_row(source)
    if shared is not None:
        return _shared_top_k(source, shared, users, exclude, k)
    out = np.zeros((len(users), k), dtype=np.int64)
    ascending = np.argsort(users, kind="stable")  # batches read the users in row order
    for start, stop, rows in source.batches(users[ascending]):
        batch = users[ascending[start:stop]]
        if not np.issubdtype(rows.dtype, np.floating):
            rows = rows.astype(np.float64)
        if exclude is not None:
            exclude_rows(rows, exclude, batch)
        rows[:, 0] = -np.inf
        part = np.argpartition(-rows, k - 1, axis=1)[:, :k]
        picked = np.take_along_axis(rows, part, axis=1)
        threshold = picked.min(axis=1)
        # Ties at the threshold: argpartition picks among them arbitrarily; the lower index must win.
        tied = (rows == threshold[:, None]).sum(axis=1) > (picked == threshold[:, None]).sum(axis=1)
        for r in np.flatnonzero(tied):
            part[r] = np.argsort(-rows[r], kind="stable")[:k]
            picked[r] = rows[r, part[r]]
        order = np.lexsort((part, -picked), axis=1)
        chosen = np.take_along_axis(part, order, axis=1)
        chosen[~np.isfinite(np.take_along_axis(rows, chosen, axis=1))] = 0
        out[ascending[start:stop]] = chosen
    return out


def _shared_top_k(source: ScoreRows, row: np.ndarray, users: np.ndarray, exclude: ZeroOne | None, k: int) -> np.ndarray:
    """`top_k` for one finite row every user shares (popularity): the movies are ordered once, and
    each user's list is the first k of that order the user has not excluded."""
    order, _ = shared_order(row)
    out = np.zeros((len(users), k), dtype=np.int64)
    if exclude is None:
        out[:] = order[:k]
        return out
    for start, stop in source.spans(len(users)):
        dropped = dense_rows(exclude, users[start:stop]).astype(bool, copy=False)
        most = int(np.count_nonzero(dropped[:, 1:], axis=1).max(initial=0))
        candidates = order[: min(k + most, len(order))]  # holds each user's k best kept movies
        kept = ~dropped[:, candidates]
        pick = np.argsort(~kept, axis=1, kind="stable")[:, :k]
        chosen = candidates[pick]
        chosen[~np.take_along_axis(kept, pick, axis=1)] = 0
        out[start:stop] = chosen
    return out


@dataclass(frozen=True)
class HeldOut:
    """One split's evaluation target in the model's index space."""

    users: np.ndarray  # the evaluated user rows, ascending (each has at least one held-out movie)
    relevant: np.ndarray  # how many held-out movies each evaluated user has
    codes: np.ndarray  # sorted user * n_items + movie codes of every held-out interaction
    n_items: int

    @classmethod
    def of(cls, test_users: np.ndarray, test_items: np.ndarray, n_items: int) -> HeldOut:
        """From the held-out interactions' user rows and movie columns."""
        test_users = np.asarray(test_users, dtype=np.int64)
        users, counts = np.unique(test_users, return_counts=True)
        codes = np.unique(test_users * n_items + np.asarray(test_items, dtype=np.int64))
        return cls(users, counts, codes, int(n_items))

    def relevance(self, lists: np.ndarray) -> np.ndarray:
        """(users, k) bool: whether each listed movie is one of that user's held-out movies."""
        codes = self.users[:, None] * self.n_items + lists
        return np.isin(codes, self.codes) & (lists > 0)


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2))


def ndcg(relevance: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """Per-user NDCG@k = DCG / IDCG, DCG = sum over ranks r of rel_r / log2(r + 1), IDCG the DCG of
    min(relevant, k) relevant movies on top (binary relevance)."""
    k = relevance.shape[1]
    discount = _discounts(k)
    dcg = relevance.astype(np.float64) @ discount
    ideal = np.cumsum(discount)[np.clip(np.asarray(relevant), 1, k) - 1]
    return dcg / ideal


def reciprocal_rank(relevance: np.ndarray) -> np.ndarray:
    """Per-user 1 / rank of the first relevant movie in the top k (0 when none is there): MRR@k's terms."""
    first = np.argmax(relevance, axis=1)
    return np.where(relevance.any(axis=1), 1.0 / (first + 1), 0.0)


def recommendation_counts(lists: np.ndarray, n_items: int) -> np.ndarray:
    """How often each movie (index 1..n_items-1) appears in the lists."""
    return np.bincount(lists[lists > 0].ravel(), minlength=n_items)[1:]


def catalog_coverage(lists: np.ndarray, n_items: int) -> float:
    """Share of the catalogue's movies (index 1..n_items-1) that appear in at least one user's list."""
    return float(np.count_nonzero(recommendation_counts(lists, n_items)) / max(n_items - 1, 1))


def gini(counts: np.ndarray) -> float:
    """Gini index of recommendation counts over every movie (zeros included): 0 when every movie
    is recommended equally often, towards 1 when a few take all the slots.
    G = sum_i (2i - n - 1) c_(i) / (n sum_i c_i), with c sorted ascending and i = 1..n."""
    c = np.sort(np.asarray(counts, dtype=np.float64))
    n, total = len(c), c.sum()
    if n == 0 or total == 0:
        return 0.0
    return float(np.sum((2 * np.arange(1, n + 1) - n - 1) * c) / (n * total))


def popularity_percentiles(train_counts: np.ndarray) -> np.ndarray:
    """Each movie's training-popularity percentile in [0, 100] (100: the most-rated movie; ties
    share their mean rank), indexed like `train_counts` (index 0, the OOV column, is left out of
    the ranking and gets 0)."""
    from scipy.stats import rankdata

    counts = np.asarray(train_counts, dtype=np.float64)
    out = np.zeros(len(counts))
    ranks = rankdata(counts[1:], method="average")
    out[1:] = 100.0 * (ranks - 1) / max(len(ranks) - 1, 1)
    return out


def self_information(train_counts: np.ndarray, n_train_users: int) -> np.ndarray:
    """Each movie's -log2 p, p = the share of training users who rated it (at least 1 of them, so a
    movie no one rated counts as rated once)."""
    share = np.maximum(np.asarray(train_counts, dtype=np.float64), 1.0) / max(n_train_users, 1)
    return -np.log2(share)


def intra_list_diversity(lists: np.ndarray, features: np.ndarray) -> float:
    """1 - the mean, over users, of the mean pairwise cosine similarity of the listed movies'
    feature vectors (RecExplore passes genre vectors: model-free, so baselines compare). Uses
    |sum v|^2 = sum |v|^2 + 2 sum_{i<j} v_i.v_j on unit vectors: linear in k."""
    k = lists.shape[1]
    if k < 2:
        return 0.0
    vectors = np.asarray(features, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)[lists]
    pair_sum = (np.sum(unit.sum(axis=1) ** 2, axis=1) - np.sum(unit**2, axis=(1, 2))) / 2
    return float(1.0 - np.mean(pair_sum / (k * (k - 1) / 2)))


def personalization(lists: np.ndarray, pairs: int = PERSONALIZATION_PAIRS, seed: int = PAIR_SEED) -> float:
    """1 - the mean Jaccard similarity of two users' lists, over `pairs` user pairs drawn with
    `seed` (distinct users; every pair when there are fewer): 0 when everyone gets the same list."""
    n = len(lists)
    if n < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    if n * (n - 1) // 2 <= pairs:
        a, b = np.triu_indices(n, 1)
    else:
        a = rng.integers(0, n, pairs)
        b = (a + rng.integers(1, n, pairs)) % n  # never the same user
    shared = (lists[a][:, :, None] == lists[b][:, None, :]).any(axis=2).sum(axis=1)
    union = 2 * lists.shape[1] - shared
    return float(1.0 - np.mean(shared / union))


@dataclass(frozen=True)
class Catalogue:
    """What the list metrics need to know of the movies: training popularity and genres."""

    train_counts: np.ndarray  # (n_items,) training interactions per movie (index 0: OOV, 0)
    n_train_users: int
    genres: np.ndarray  # (n_items, n_genres) multi-hot

    @classmethod
    def of(cls, train_matrix: ZeroOne, genres: np.ndarray) -> Catalogue:
        """From the 0/1 training matrix (dense or sparse) and the movies' genre vectors."""
        if sparse.issparse(train_matrix):
            users = int(np.count_nonzero(axis_counts(train_matrix, 1)))
            return cls(axis_counts(train_matrix, 0), users, genres)
        matrix = np.asarray(train_matrix)
        return cls(matrix.sum(axis=0).astype(np.int64), int(np.count_nonzero(matrix.any(axis=1))), genres)

    @property
    def n_items(self) -> int:
        return len(self.train_counts)


def per_user(lists: np.ndarray, held_out: HeldOut) -> dict[str, np.ndarray]:
    """Each evaluated user's hits, NDCG and reciprocal rank in the top k (for the slices and the
    paired tests): `hits` counts the user's held-out movies in the list."""
    relevance = held_out.relevance(lists)
    return {
        "hits": relevance.sum(axis=1),
        "ndcg": ndcg(relevance, held_out.relevant),
        "rr": reciprocal_rank(relevance),
    }


def list_report(lists: np.ndarray, held_out: HeldOut, catalogue: Catalogue) -> dict[str, float]:
    """Every metric of one model's top-k lists, keyed `<metric>_at_<k>`.

    NDCG and MRR are means over the evaluated users (each user counts once; the hit rate is
    micro-averaged over held-out interactions instead). Popularity percentile and novelty are
    means over every recommended slot.
    """
    k = lists.shape[1]
    users = per_user(lists, held_out)
    slots = lists[lists > 0]
    values = {
        "ndcg": float(np.mean(users["ndcg"])),
        "mrr": float(np.mean(users["rr"])),
        "catalog_coverage": catalog_coverage(lists, catalogue.n_items),
        "gini": gini(recommendation_counts(lists, catalogue.n_items)),
        "popularity_percentile": float(np.mean(popularity_percentiles(catalogue.train_counts)[slots])),
        "novelty": float(np.mean(self_information(catalogue.train_counts, catalogue.n_train_users)[slots])),
        "diversity": intra_list_diversity(lists, catalogue.genres),
        "personalization": personalization(lists),
    }
    return {f"{name}_at_{k}": values[name] for name in LIST_METRICS}


def prefixed(report: Mapping[str, float], prefix: str) -> dict[str, float]:
    """`report` with every key prefixed (`popularity_`, `ease_`)."""
    return {f"{prefix}{key}": value for key, value in report.items()}
