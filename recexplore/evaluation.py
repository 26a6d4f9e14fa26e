"""RMSE/MAE, hit-rate@k, the seeds' top-k accuracy and the popularity baseline (DESIGN.md definitions)."""

from __future__ import annotations

import numpy as np

HIT_RATE_KS = (10, 100)
SEED_K = 100


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error in stars."""
    diff = np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64)
    return float(np.sqrt(np.mean(diff**2)))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error in stars."""
    return float(np.mean(np.abs(np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64))))


def _masked_rows(
    scores: np.ndarray, users: np.ndarray, items: np.ndarray, exclude: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-user score rows with excluded items and column 0 at -inf, plus each pair's row and own score."""
    users = np.asarray(users, dtype=np.int64)
    items = np.asarray(items, dtype=np.int64)
    unique_users, row_of_pair = np.unique(users, return_inverse=True)
    table = np.asarray(scores)
    if table.dtype != np.float32:  # float32 model scores stay float32 (faster); others become float64
        table = table.astype(np.float64)
    rows = np.array(table[unique_users] if table.shape[0] > 1 else np.repeat(table, len(unique_users), axis=0))
    own = rows[row_of_pair, items].copy()
    if exclude is not None:
        rows[np.asarray(exclude, dtype=bool)[unique_users]] = -np.inf
    rows[:, 0] = -np.inf
    return rows, row_of_pair, items, own


def _rank_in_row(row: np.ndarray, own: float, item: int) -> int:
    """Kept items ranked ahead of `item` (score higher, or equal with a lower index)."""
    ahead = np.sum(row > own) + np.sum(row[:item] == own)
    return int(ahead)


def ranks_of(scores: np.ndarray, users: np.ndarray, items: np.ndarray, exclude: np.ndarray | None = None) -> np.ndarray:
    """0-based rank of each (user, item) pair's item in its user's ranking.

    Ranking order is score descending, ties broken by lower item index first (a
    stable sort). Items where `exclude[user]` is True, and column 0 (the OOV row),
    are dropped; a pair's own item is always ranked, even when excluded.

    Args:
        scores: (n_users, n_items) scores, or (1, n_items) shared by every user.
        users: user row of each pair.
        items: item column of each pair.
        exclude: optional (n_users, n_items) bool mask of items to drop.

    Returns:
        int array, one rank per pair (rank < k means a hit in the top k).
    """
    rows, row_of_pair, items, own = _masked_rows(scores, users, items, exclude)
    order = np.argsort(-rows, axis=1, kind="stable")
    position = np.empty_like(order)
    position[np.arange(len(rows))[:, None], order] = np.arange(rows.shape[1])[None, :]
    ranks = position[row_of_pair, items]
    for p in np.flatnonzero(rows[row_of_pair, items] != own):  # own item was excluded: rank it directly
        ranks[p] = _rank_in_row(rows[row_of_pair[p]], own[p], items[p])
    return ranks


def hits_at(
    scores: np.ndarray,
    users: np.ndarray,
    items: np.ndarray,
    exclude: np.ndarray | None = None,
    ks: tuple[int, ...] = HIT_RATE_KS,
) -> dict[int, np.ndarray]:
    """For each k, whether each pair's `ranks_of` rank is below k, without ranking everything.

    A pair is a hit when its score beats its user's k-th best kept score and a miss
    when below it; only pairs tied with that threshold (or whose own item was
    excluded) are ranked one by one. Exact, and several times faster than a sort.
    """
    rows, row_of_pair, items, own = _masked_rows(scores, users, items, exclude)
    dropped = rows[row_of_pair, items] != own
    out: dict[int, np.ndarray] = {}
    for k in ks:
        if k >= rows.shape[1]:
            out[k] = np.ones(len(items), dtype=bool)
            continue
        threshold = -np.partition(-rows, k - 1, axis=1)[:, k - 1]
        limit = threshold[row_of_pair]
        hit = own > limit
        for p in np.flatnonzero((own == limit) | dropped):
            hit[p] = _rank_in_row(rows[row_of_pair[p]], own[p], items[p]) < k
        out[k] = hit
    return out


def popularity_scores(train_matrix: np.ndarray) -> np.ndarray:
    """(1, n_items) training-interaction counts: the popularity baseline's scores."""
    return np.asarray(train_matrix, dtype=np.float64).sum(axis=0, keepdims=True)


def retrieval_report(
    scores: np.ndarray,
    train_matrix: np.ndarray,
    test_users: np.ndarray,
    test_items: np.ndarray,
    test_ratings: np.ndarray,
) -> dict[str, float]:
    """Every retrieval number for a model, with the popularity baseline beside it.

    Args:
        scores: (n_users, n_items) model scores (row 0 / column 0 are OOV).
        train_matrix: (n_users, n_items) 0/1 training interactions.
        test_users: user row of each held-out rating.
        test_items: item column of each held-out rating.
        test_ratings: stars of each held-out rating.

    Returns:
        hit_rate_at_10/100 (seen excluded), seed_top100_accuracy (5-star test
        ratings, no exclusion, as the KerasRS tutorial), seed_top100_accuracy_all
        (all test ratings, as TFRS), and the same keys prefixed `popularity_`.
    """
    seen = np.asarray(train_matrix).astype(bool)
    five = np.asarray(test_ratings) >= 5
    popularity = popularity_scores(train_matrix)
    report: dict[str, float] = {}
    for prefix, table in (("", scores), ("popularity_", popularity)):
        excluded = hits_at(table, test_users, test_items, exclude=seen, ks=HIT_RATE_KS)
        plain = hits_at(table, test_users, test_items, ks=(SEED_K,))[SEED_K]
        report[f"{prefix}hit_rate_at_10"] = float(np.mean(excluded[10]))
        report[f"{prefix}hit_rate_at_100"] = float(np.mean(excluded[100]))
        report[f"{prefix}seed_top100_accuracy"] = float(np.mean(plain[five])) if five.any() else 0.0
        report[f"{prefix}seed_top100_accuracy_all"] = float(np.mean(plain))
    return report
