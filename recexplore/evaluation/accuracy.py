"""RMSE/MAE, hit-rate@k, the seeds' top-k accuracy and the popularity baseline (docs/evaluation.md).

Every full-ranking computation here reads its users x items scores a batch of users at a time
(`ScoreRows`, batches of `batch_users` rows), so no users x items float matrix is ever held in one
piece, whatever the catalogue's size. Each user's ranking, ties and exclusions are the same in any
batch; a computed product (towers, EASE) is made in fixed blocks of users, which is the one-piece
product itself wherever one block holds every user (ML-100K, ML-1M at the default budget).

The 0/1 training matrix (what a product multiplies, what is excluded, what popularity counts) may be
dense or a scipy sparse matrix (`FeatureSpace.interaction_csr`): a sparse one is made dense only a
batch of rows at a time, so its memory grows with the ratings, not users x items.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from recexplore.evaluation.sampled import (
    DEFAULT_SAMPLINGS,
    Negatives,
    Sampling,
    negatives_for,
    sampled_rank,
    sampled_report,
)
from recexplore.models.popularity import popularity_scores
from recexplore.models.score_rows import ScoreRows, ZeroOne, exclude_rows, nonzero_in_rows

HIT_RATE_KS = (10, 100)
SEED_K = 100
SAMPLED_PAIRS = 1 << 14  # pairs whose sampled movies are picked from a shared row at once


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error in stars."""
    diff = np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)
    return float(np.sqrt(np.mean(diff**2)))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error in stars."""
    return float(np.mean(np.abs(np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64))))


@dataclass(frozen=True, eq=False)
class _Batch:
    """One batch of users' masked score rows and the (user, item) pairs that fall in it."""

    rows: np.ndarray  # excluded items and column 0 at -inf
    pairs: np.ndarray  # indices of the batch's pairs in the caller's arrays
    local: np.ndarray  # each pair's row in `rows`
    items: np.ndarray  # each pair's item
    own: np.ndarray  # each pair's own score, before masking


def _pair_groups(users: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct users (ascending), each pair's index in them, and the pairs ordered by it."""
    unique_users, row_of_pair = np.unique(users, return_inverse=True)
    return unique_users, row_of_pair.reshape(-1), np.argsort(row_of_pair.reshape(-1), kind="stable")


def _masked_batches(
    source: ScoreRows, users: np.ndarray, items: np.ndarray, exclude: ZeroOne | None
) -> Iterator[_Batch]:
    """Per batch of distinct users: score rows with excluded items and column 0 at -inf (float32
    model scores stay float32, faster; others become float64), and the batch's pairs."""
    unique_users, row_of_pair, order = _pair_groups(users)
    sorted_rows = row_of_pair[order]
    for start, stop, rows in source.batches(unique_users):
        batch = unique_users[start:stop]
        if rows.dtype != np.float32:
            rows = rows.astype(np.float64)
        lo, hi = np.searchsorted(sorted_rows, (start, stop))
        pairs = order[lo:hi]
        local = row_of_pair[pairs] - start
        own = rows[local, items[pairs]].copy()
        if exclude is not None:
            exclude_rows(rows, exclude, batch)
        rows[:, 0] = -np.inf
        yield _Batch(rows, pairs, local, items[pairs], own)


def _rank_in_row(row: np.ndarray, own: float, item: int) -> int:
    """Kept items ranked ahead of `item` (score higher, or equal with a lower index)."""
    ahead = np.sum(row > own) + np.sum(row[:item] == own)
    return int(ahead)


def finite_shared_row(source: ScoreRows) -> np.ndarray | None:
    """A shared score row (as float32, or float64) whose movies' scores are all finite: ranked once
    for every user, never row by row; None otherwise."""
    row = source.shared
    if row is None:
        return None
    row = row if row.dtype == np.float32 else row.astype(np.float64)
    return row if len(row) > 1 and np.isfinite(row[1:]).all() else None


def shared_order(row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The movies (columns 1..) best first, ties by the lower index, and each column's place in
    that order (column 0: -1)."""
    order = np.argsort(-row[1:], kind="stable") + 1
    position = np.full(len(row), -1, dtype=np.int64)
    position[order] = np.arange(len(order))
    return order, position


def _shared_ranks(
    source: ScoreRows, row: np.ndarray, users: np.ndarray, items: np.ndarray, exclude: ZeroOne | None
) -> np.ndarray:
    """`ranks_of` for one finite row shared by every user, without a users x items matrix: a pair's
    rank is its item's place in the shared order less the user's excluded movies placed before it."""
    _, position = shared_order(row)
    ranks = position[items].copy()
    n = len(row)
    if exclude is not None:
        unique_users, row_of_pair, order = _pair_groups(users)
        sorted_rows = row_of_pair[order]
        for start, stop in source.spans(len(unique_users)):
            found, movie = nonzero_in_rows(exclude, unique_users[start:stop])
            keep = movie > 0
            keys = np.sort(found[keep] * n + position[movie[keep]])
            lo, hi = np.searchsorted(sorted_rows, (start, stop))
            pairs = order[lo:hi]
            base = (row_of_pair[pairs] - start) * n
            ranks[pairs] -= np.searchsorted(keys, base + position[items[pairs]]) - np.searchsorted(keys, base)
    for p in np.flatnonzero(items == 0):  # the OOV column as a pair's item: ranked directly
        kept = row.copy()
        if exclude is not None:
            exclude_rows(kept[None, :], exclude, users[p : p + 1])
        kept[0] = -np.inf
        ranks[p] = _rank_in_row(kept, row[0], 0)
    return ranks


def ranks_of(
    scores: np.ndarray | ScoreRows, users: np.ndarray, items: np.ndarray, exclude: ZeroOne | None = None
) -> np.ndarray:
    """0-based rank of each (user, item) pair's item in its user's ranking.

    Ranking order is score descending, ties broken by lower item index first (a
    stable sort). Items where `exclude[user]` is True, and column 0 (the OOV row),
    are dropped; a pair's own item is always ranked, even when excluded.

    Args:
        scores: (n_users, n_items) scores, or (1, n_items) shared by every user (or `ScoreRows`).
        users: user row of each pair.
        items: item column of each pair.
        exclude: optional (n_users, n_items) mask of items to drop (nonzero: dropped; dense or sparse).

    Returns:
        int array, one rank per pair (rank < k means a hit in the top k).
    """
    source = ScoreRows.of(scores)
    users = np.asarray(users, dtype=np.int64).reshape(-1)
    items = np.asarray(items, dtype=np.int64).reshape(-1)
    shared = finite_shared_row(source)
    if shared is not None:
        return _shared_ranks(source, shared, users, items, exclude)
    ranks = np.zeros(len(items), dtype=np.int64)
    for b in _masked_batches(source, users, items, exclude):
        order = np.argsort(-b.rows, axis=1, kind="stable")
        position = np.empty_like(order)
        position[np.arange(len(b.rows))[:, None], order] = np.arange(b.rows.shape[1])[None, :]
        found = position[b.local, b.items]
        for p in np.flatnonzero(b.rows[b.local, b.items] != b.own):  # own item was excluded: rank it directly
            found[p] = _rank_in_row(b.rows[b.local[p]], b.own[p], b.items[p])
        ranks[b.pairs] = found
    return ranks


def hits_at(
    scores: np.ndarray | ScoreRows,
    users: np.ndarray,
    items: np.ndarray,
    exclude: ZeroOne | None = None,
    ks: tuple[int, ...] = HIT_RATE_KS,
) -> dict[int, np.ndarray]:
    """For each k, whether each pair's `ranks_of` rank is below k, without ranking everything.

    A pair is a hit when its score beats its user's k-th best kept score and a miss
    when below it; only pairs tied with that threshold (or whose own item was
    excluded) are ranked one by one. Exact, and several times faster than a sort. Scores
    are read a batch of users at a time; a finite row shared by every user (popularity)
    is ranked once.
    """
    return hits_and_sampled(scores, users, items, exclude, ks)[0]


def hits_and_sampled(
    scores: np.ndarray | ScoreRows,
    users: np.ndarray,
    items: np.ndarray,
    exclude: ZeroOne | None = None,
    ks: tuple[int, ...] = HIT_RATE_KS,
    negatives: Sequence[Negatives] = (),
) -> tuple[dict[int, np.ndarray], list[np.ndarray]]:
    """`hits_at`, and each pair's `sampled_rank` among its sampled movies for each of `negatives`,
    read from the same score rows (the sampled movies' scores picked from them: nothing scored twice);
    `negatives` are made for these very pairs (`sampled.negatives_for(..., users, items)`)."""
    source = ScoreRows.of(scores)
    users = np.asarray(users, dtype=np.int64).reshape(-1)
    items = np.asarray(items, dtype=np.int64).reshape(-1)
    sampled = [np.zeros(len(items)) for _ in negatives]
    shared = finite_shared_row(source)
    if shared is not None:
        ranks = _shared_ranks(source, shared, users, items, exclude)
        for found, neg in zip(sampled, negatives, strict=True):
            for start in range(0, len(items), SAMPLED_PAIRS):
                part = slice(start, start + SAMPLED_PAIRS)
                pairs = np.arange(start, min(start + SAMPLED_PAIRS, len(items)))
                found[part] = sampled_rank(shared[items[part]], shared[neg.movies(pairs, users[part], items[part])])
        return {k: ranks < k for k in ks}, sampled
    out = {k: np.zeros(len(items), dtype=bool) for k in ks}
    for b in _masked_batches(source, users, items, exclude):
        for found, neg in zip(sampled, negatives, strict=True):
            picked = b.rows[b.local[:, None], neg.movies(b.pairs, users[b.pairs], b.items)]
            found[b.pairs] = sampled_rank(b.own, picked)
        n_items = b.rows.shape[1]
        cut = sorted({k - 1 for k in ks if k < n_items})
        if cut:
            partitioned = np.partition(-b.rows, cut, axis=1)
        dropped = b.rows[b.local, b.items] != b.own
        for k in ks:
            if k >= n_items:
                out[k][b.pairs] = True
                continue
            limit = -partitioned[:, k - 1][b.local]
            hit = b.own > limit
            for p in np.flatnonzero((b.own == limit) | dropped):
                hit[p] = _rank_in_row(b.rows[b.local[p]], b.own[p], b.items[p]) < k
            out[k][b.pairs] = hit
    return out, sampled


def retrieval_report(
    scores: np.ndarray | ScoreRows,
    train_matrix: ZeroOne,
    test_users: np.ndarray,
    test_items: np.ndarray,
    test_ratings: np.ndarray,
    samplings: Sequence[Sampling] = DEFAULT_SAMPLINGS,
) -> dict[str, float]:
    """Every retrieval number for a model, with the popularity baseline beside it.

    Args:
        scores: (n_users, n_items) model scores (row 0 / column 0 are OOV), or `ScoreRows`.
        train_matrix: (n_users, n_items) 0/1 training interactions (dense, or sparse: `interaction_csr`).
        test_users: user row of each held-out rating.
        test_items: item column of each held-out rating.
        test_ratings: stars of each held-out rating.
        samplings: the sampled rankings measured beside the full one (`sampled`).

    Returns:
        hit_rate_at_10/100 (seen excluded), seed_top100_accuracy (5-star test
        ratings, no exclusion, as the KerasRS tutorial), seed_top100_accuracy_all
        (all test ratings, as TFRS), each sampling's sampled hit rate and NDCG@10
        (`sampled_hit_rate_at_10`, ...), and the same keys prefixed `popularity_`.
    """
    seen = train_matrix if sparse.issparse(train_matrix) else np.asarray(train_matrix)  # read a batch of rows at a time
    five = np.asarray(test_ratings) >= 5
    popularity = popularity_scores(train_matrix)
    negatives = negatives_for(samplings, train_matrix, test_users, test_items)
    report: dict[str, float] = {}
    for prefix, table in (("", scores), ("popularity_", popularity)):
        excluded, sampled = hits_and_sampled(table, test_users, test_items, seen, HIT_RATE_KS, negatives)
        plain = hits_at(table, test_users, test_items, ks=(SEED_K,))[SEED_K]
        report[f"{prefix}hit_rate_at_10"] = float(np.mean(excluded[10]))
        report[f"{prefix}hit_rate_at_100"] = float(np.mean(excluded[100]))
        report[f"{prefix}seed_top100_accuracy"] = float(np.mean(plain[five])) if five.any() else 0.0
        report[f"{prefix}seed_top100_accuracy_all"] = float(np.mean(plain))
        report.update(sampled_report(negatives, sampled, prefix))
    return report
