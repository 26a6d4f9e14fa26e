"""Who rated what in a training split, as vocabulary indices: the 0/1 matrix or each row's latest movies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recexplore.config.memory import HISTORY_CAP


@dataclass(frozen=True)
class History:
    """The training split's ratings as vocabulary indices (pairs with an OOV index left out)."""

    users: np.ndarray
    movies: np.ndarray
    timestamps: np.ndarray

    @classmethod
    def of(cls, users: np.ndarray, movies: np.ndarray, timestamps: np.ndarray) -> History:
        """From index arrays (0 = out of vocabulary: dropped, as the matrix's row and column 0)."""
        users, movies = np.asarray(users, dtype=np.int64), np.asarray(movies, dtype=np.int64)
        known = (users > 0) & (movies > 0)
        return cls(users[known], movies[known], np.asarray(timestamps, dtype=np.int64)[known])

    def matrix(self, n_users: int, n_movies: int) -> np.ndarray:
        """The (n_users, n_movies) int8 0/1 matrix."""
        out = np.zeros((n_users, n_movies), dtype=np.int8)
        out[self.users, self.movies] = 1
        return out

    def lists(self, by_user: bool, n_rows: int, cap: int = HISTORY_CAP) -> tuple[np.ndarray, np.ndarray]:
        """Each user's latest `cap` movies (or, by_user=False, each movie's latest `cap` raters),
        ties by index: an (n_rows, cap) int32 index array padded with 0, and how many are kept."""
        rows, others = (self.users, self.movies) if by_user else (self.movies, self.users)
        order = np.lexsort((others, -self.timestamps, rows))
        rows, others = rows[order], others[order]
        rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
        keep = rank < cap
        out = np.zeros((n_rows, cap), dtype=np.int32)
        out[rows[keep], rank[keep]] = others[keep]
        counts = np.minimum(np.bincount(rows, minlength=n_rows), cap).astype(np.int32)
        return out, counts


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
