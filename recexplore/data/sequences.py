"""Time-ordered splits and watch histories for next-movie models.

Order: a user's ratings sorted by timestamp; ratings in the same second (MovieLens users often
rate many movies at once) are ordered by the lower movie id first. That is the stated tie rule
of every sequence here: arbitrary, but fixed and never using the future.

Splits (names `make_split` accepts beside 'random' and the official folds):
- `last-out`: for each user with at least MIN_RATINGS ratings, the last rating is the test
  target; everything before it is training (the history, and the validation target).
- `last-out-val`: the same users' second-to-last rating is the target and only what precedes
  it is training (tuning never sees the test targets).
- `temporal`: one global cut at the TEMPORAL_QUANTILE of all timestamps: training is every rating
  before the cut; the target of each user who rated before and after it is their first rating
  after the cut (the next movie, as seen from the cut).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LAST_OUT = "last-out"
LAST_OUT_VALIDATION = "last-out-val"
TEMPORAL = "temporal"
SEQUENTIAL_SPLITS = (LAST_OUT, LAST_OUT_VALIDATION, TEMPORAL)
MIN_RATINGS = 5  # users with fewer ratings have no target (all their ratings are training)
TEMPORAL_QUANTILE = 0.8


def time_ordered(ratings: pd.DataFrame) -> pd.DataFrame:
    """`ratings` sorted by user, timestamp and movie id (the tie rule), index reset."""
    return ratings.sort_values(["user_id", "timestamp", "movie_id"], kind="mergesort").reset_index(drop=True)


def leave_last_out(ratings: pd.DataFrame, validation: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training rows, one target row per eligible user): the last rating, or with `validation`
    the one before it, whose training rows are then only those before it."""
    ordered = time_ordered(ratings)
    from_end = ordered.groupby("user_id").cumcount(ascending=False).to_numpy()
    eligible = ordered.groupby("user_id")["user_id"].transform("size").to_numpy() >= MIN_RATINGS
    target = eligible & (from_end == (1 if validation else 0))
    keep = ~eligible | (from_end > (1 if validation else 0))
    return ordered[keep].reset_index(drop=True), ordered[target].reset_index(drop=True)


def temporal_cut(ratings: pd.DataFrame, quantile: float = TEMPORAL_QUANTILE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ratings before the cut, each user's first rating at or after it, for users with both)."""
    ordered = time_ordered(ratings)
    cut = float(np.quantile(ordered["timestamp"].to_numpy(), quantile))
    before = ordered[ordered["timestamp"] < cut]
    after = ordered[(ordered["timestamp"] >= cut) & ordered["user_id"].isin(before["user_id"].unique())]
    return before.reset_index(drop=True), after.groupby("user_id", sort=True).head(1).reset_index(drop=True)


def split_rows(ratings: pd.DataFrame, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (train, test) rows of a sequential split by name."""
    if name == LAST_OUT:
        return leave_last_out(ratings)
    if name == LAST_OUT_VALIDATION:
        return leave_last_out(ratings, validation=True)
    if name == TEMPORAL:
        return temporal_cut(ratings)
    raise ValueError(f"not a sequential split: {name!r}")


def histories(users: np.ndarray, movies: np.ndarray, n_users: int) -> list[np.ndarray]:
    """Each user row's movie indices in watch order, from time-ordered (user, movie) index arrays."""
    order = np.argsort(users, kind="stable")  # keeps the time order within a user
    bounds = np.searchsorted(users[order], np.arange(n_users + 1))
    ordered = movies[order]
    return [ordered[bounds[u] : bounds[u + 1]] for u in range(n_users)]


def padded(sequences: list[np.ndarray], max_len: int) -> np.ndarray:
    """(len(sequences), max_len) int32: each sequence's last `max_len` items, right-aligned (the most
    recent movie in the last column), 0 (no movie) before them."""
    out = np.zeros((len(sequences), max_len), dtype=np.int32)
    for row, seq in enumerate(sequences):
        tail = seq[-max_len:]
        if len(tail):
            out[row, max_len - len(tail) :] = tail
    return out


def training_chunks(seqs: list[np.ndarray], max_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Next-movie training examples, every position at once: each history is cut, from its end,
    into pieces of max_len + 1 movies overlapping by one, so every movie but a user's first is a
    target exactly once. Returns (inputs, the movie after each input position, user row): inputs
    and targets (n_pieces, max_len), right-aligned, 0 where there is none."""
    inputs, targets, users = [], [], []
    for user, seq in enumerate(seqs):
        end = len(seq)
        while end > 1:
            start = max(0, end - max_len - 1)
            piece = seq[start:end]
            inputs.append(piece[:-1])
            targets.append(piece[1:])
            users.append(user)
            end = start + 1
    return padded(inputs, max_len), padded(targets, max_len), np.asarray(users, dtype=np.int32)
