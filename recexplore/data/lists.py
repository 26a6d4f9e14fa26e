"""A user's training ratings cut into lists: what a list-trained ranker (the `listwise` family)
learns from. Each list holds ratings of one user; a list loss compares the movies within it."""

from __future__ import annotations

import numpy as np

SHUFFLED, BY_TIME = "shuffled", "by_time"
LIST_CUTS = (SHUFFLED, BY_TIME)  # how a user's ratings are ordered before they are cut


def longest_history(users: np.ndarray) -> int:
    """The most ratings any one user has among `users` (one entry per rating)."""
    return int(np.unique(np.asarray(users), return_counts=True)[1].max(initial=0))


def check_list_length(length: int, users: np.ndarray) -> None:
    """ValueError, in one line, when no user has `length` ratings to fill a list."""
    longest = longest_history(users)
    if length > longest:
        raise ValueError(
            f"list_length {length} is longer than any user's training history (the longest has {longest} "
            "ratings): choose a shorter list"
        )


def user_lists(users: np.ndarray, stamps: np.ndarray, length: int, cut: str, rng: np.random.Generator) -> np.ndarray:
    """Each user's rows cut into consecutive lists of `length`, in a random list order.

    Args:
        users: one user id per rating row.
        stamps: each row's timestamp (`by_time` orders a user's rows by it).
        length: the list length; a user's last list holds what is left (padded).
        cut: SHUFFLED (a fresh random order of each user's rows on every call) or BY_TIME (in the
            order they were rated: a list holds movies rated about the same time).
        rng: the generator of the row and list orders.

    Returns:
        (n_lists, length) int64 row positions, -1 where a short list is padded.
    """
    if cut not in LIST_CUTS:
        raise ValueError(f"list_cut must be one of {', '.join(LIST_CUTS)}, got {cut!r}")
    users = np.asarray(users)
    n = len(users)
    key = rng.random(n) if cut == SHUFFLED else np.asarray(stamps)
    order = np.lexsort((np.arange(n), key, users))  # grouped by user, then the cut's order
    grouped = users[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if n else np.zeros(0, np.int64)
    counts = np.diff(np.r_[starts, n])
    position = np.arange(n) - np.repeat(starts, counts)
    per_user = -(-counts // length)
    first_list = np.r_[0, np.cumsum(per_user)[:-1]]
    list_id = np.repeat(first_list, counts) + position // length
    out = np.full((int(per_user.sum()), length), -1, dtype=np.int64)
    out[list_id, position % length] = order
    return out[rng.permutation(len(out))]
