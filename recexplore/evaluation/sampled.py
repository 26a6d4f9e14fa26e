"""Sampled ranking, the protocol many papers report (docs/evaluation.md, "Sampled against full ranking").

Each test case's held-out movie is ranked against N movies its user never rated (neither in the
training part nor in the test part), drawn uniformly or in proportion to their training popularity,
without replacement. The draw is seeded and belongs to the case alone (a hash of the seed, the user
and the held-out movie), so every scorer of a split meets the same sampled movies, whatever batch a
case is scored in. The scores are read from the score rows the full-ranking hit rate already made
(`accuracy.hits_and_sampled`): nothing is scored twice.

Rank of a case: the sampled movies scoring strictly higher than the held-out one, plus half of
those scoring the same (0-based, may be fractional); a hit when it is below 10, NDCG@10 =
1 / log2(rank + 2) then (one relevant movie), else 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from recexplore.config import memory
from recexplore.config.settings import Bound
from recexplore.models.score_rows import ZeroOne, axis_counts

SAMPLED_N = 100  # sampled movies per test case (the papers' 100)
N_BOUND = Bound(0, 10_000, integer=True, open_low=True)
SAMPLED_SEED = 2020
SAMPLED_K = 10
# sampling kind -> the key prefix its metrics carry
KINDS: dict[str, str] = {"uniform": "sampled_", "popularity": "sampled_pop_"}
N_KEY = "sampled_n"  # the N a result's sampled metrics were measured with
GUIDE = 4  # guide-table buckets per movie (popularity sampling's indexed search)
CHUNK_DRAWS = 1 << 16  # candidate draws held at once (cases x draws per case): a few MB of arrays

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


@dataclass(frozen=True)
class Sampling:
    """How the negatives are drawn: N per case, 'uniform' or 'popularity', the seed. `strict`:
    an N larger than some user's unrated movies is refused (ValueError); otherwise (the default
    every trained model's results carry) N is lowered to the most this data allows."""

    n: int = SAMPLED_N
    kind: str = "uniform"
    seed: int = SAMPLED_SEED
    strict: bool = True

    def __post_init__(self) -> None:
        if not N_BOUND.allows(self.n):
            raise ValueError(f"sampled N must be {N_BOUND.describe()}, got {self.n!r}")
        if self.kind not in KINDS:
            raise ValueError(f"sampling must be one of {', '.join(KINDS)}, got {self.kind!r}")

    @property
    def prefix(self) -> str:
        return KINDS[self.kind]

    @property
    def keys(self) -> tuple[str, str]:
        """Its sampled hit rate@10 and NDCG@10 keys."""
        return f"{self.prefix}hit_rate_at_{SAMPLED_K}", f"{self.prefix}ndcg_at_{SAMPLED_K}"


DEFAULT_SAMPLINGS = (Sampling(strict=False), Sampling(kind="popularity", strict=False))


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, elementwise on uint64 (wrapping)."""
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _MIX1
    x = (x ^ (x >> np.uint64(27))) * _MIX2
    return x ^ (x >> np.uint64(31))


def _uniforms(base: np.ndarray, start: int, stop: int) -> np.ndarray:
    """(len(base), stop - start) numbers in [0, 1): draws start..stop-1 of each case's stream."""
    j = np.arange(start, stop, dtype=np.uint64)
    return (_mix(base[:, None] + j[None, :]) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _first_distinct(drawn: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Per row, True where a draw is kept: not `bad` and not a repeat of an earlier draw."""
    order = np.argsort(drawn, axis=1, kind="stable")
    ordered = np.take_along_axis(drawn, order, axis=1)
    repeat = np.zeros_like(bad)
    np.put_along_axis(repeat, order[:, 1:], ordered[:, 1:] == ordered[:, :-1], axis=1)
    return ~bad & ~repeat


def _weights(kind: str, train: ZeroOne) -> np.ndarray:
    """Each movie's sampling weight: 1 (uniform) or its training count (popularity); column 0 (OOV): 0."""
    weights = axis_counts(train, 0).astype(np.float64) if kind == "popularity" else np.ones(train.shape[1])
    weights[0] = 0.0
    return weights


def _rated(train: ZeroOne, users: np.ndarray, items: np.ndarray) -> sparse.csr_matrix:
    """Users x movies, 1 where the user rated the movie in the training or the test part (sorted rows)."""
    test = sparse.csr_matrix((np.ones(len(users)), (users, items)), shape=train.shape)
    found = ((sparse.csr_matrix(train) != 0).astype(np.float64) + test != 0).astype(np.int8).tocsr()
    found.sort_indices()
    return found


def _fewest_left(rated: sparse.csr_matrix, weights: np.ndarray, users: np.ndarray) -> tuple[int, int]:
    """The fewest movies any of `users` has left to draw (never rated, weight above 0), and whose."""
    positive = (weights > 0).astype(np.int64)
    if len(users) == 0:
        return int(positive.sum()), -1
    left = int(positive.sum()) - np.asarray(rated @ positive).reshape(-1)
    distinct = np.unique(users)
    worst = distinct[np.argmin(left[distinct])]
    return int(left[worst]), int(worst)


@dataclass(frozen=True, eq=False)
class Negatives:
    """The sampled movies of a split's test cases: `draw` gives any cases' N movies, each case's
    the first N distinct movies its user never rated in its own seeded stream of draws."""

    sampling: Sampling
    n: int  # the N drawn (the sampling's, or lower where it is not strict: `fitted_n`)
    cumulative: np.ndarray  # (n_movies,) cumulative sampling weights (column 0, the OOV row: 0)
    rated: sparse.csr_matrix  # users x movies: each user's training and test movies, never drawn
    guide: np.ndarray  # (GUIDE * n_movies,) the first column whose cumulative weight passes each bucket's start
    drawn: np.ndarray | None = None  # (cases, n) every case's movies, drawn once where they fit (`negatives_for`)

    @classmethod
    def of(
        cls, sampling: Sampling, train: ZeroOne, users: np.ndarray, items: np.ndarray, n: int | None = None
    ) -> Negatives:
        """The negatives of the test cases (`users`, `items`) of a split whose training matrix is
        `train` (popularity: its column counts); `n` overrides the sampling's N. ValueError when N
        is more than some test user's movies left to draw."""
        users = np.asarray(users, dtype=np.int64).reshape(-1)
        items = np.asarray(items, dtype=np.int64).reshape(-1)
        return cls._build(sampling, _rated(train, users, items), _weights(sampling.kind, train), users, n)

    @classmethod
    def _build(
        cls, sampling: Sampling, rated: sparse.csr_matrix, weights: np.ndarray, users: np.ndarray, n: int | None
    ) -> Negatives:
        n = sampling.n if n is None else int(n)
        left, user = _fewest_left(rated, weights, users)
        if n > left:
            what = "movies it has not rated" if sampling.kind == "uniform" else "unrated movies rated in training"
            raise ValueError(
                f"sampled N={n} is more than the {left} {what} of user row {user} (the most N can be on "
                f"this split with {sampling.kind} sampling): choose N from 1 to {left}"
            )
        cumulative = np.cumsum(weights)
        buckets = np.arange(GUIDE * len(weights)) * (cumulative[-1] / (GUIDE * len(weights)))
        return cls(sampling, n, cumulative, rated, np.searchsorted(cumulative, buckets, side="right"))

    def movies(self, pairs: np.ndarray, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """The sampled movies of the cases at `pairs` (their `users` and `items`): read from the
        ones drawn once when at hand, else drawn (the same movies)."""
        return self.drawn[pairs] if self.drawn is not None else self.draw(users, items)

    def draw(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """(cases, n) movie columns: each case's sampled movies, in draw order."""
        users = np.asarray(users, dtype=np.int64).reshape(-1)
        items = np.asarray(items, dtype=np.int64).reshape(-1)
        out = np.zeros((len(users), self.n), dtype=np.int32 if len(self.cumulative) < 1 << 31 else np.int64)
        step = max(1, CHUNK_DRAWS // (2 * self.n))
        for start in range(0, len(users), step):
            stop = min(start + step, len(users))
            out[start:stop] = self._draw(users[start:stop], items[start:stop])
        return out

    def _draw(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Each case's first n distinct unrated movies in its stream; cases short of n in the first
        2n draws read twice as far, until every case has n (each has at least n to find)."""
        n_items = len(self.cumulative)
        key = users.astype(np.uint64) * np.uint64(n_items) + items.astype(np.uint64)
        base = _mix(_mix(key) ^ np.uint64(self.sampling.seed))
        is_rated = self._rated_test(users)
        out = np.zeros((len(users), self.n), dtype=np.int64)
        todo, width = np.arange(len(users)), 2 * self.n
        while len(todo):
            drawn = self._movies(_uniforms(base[todo], 0, width))
            keep = _first_distinct(drawn, is_rated(todo, drawn))
            count = np.cumsum(keep, axis=1)
            done = count[:, -1] >= self.n
            rows, cols = np.nonzero(keep[done] & (count[done] <= self.n))
            out[todo[done]] = drawn[done][rows, cols].reshape(-1, self.n)
            todo, width = todo[~done], width * 2
        return out

    def _movies(self, uniforms: np.ndarray) -> np.ndarray:
        """The movie columns numbers in [0, 1) stand for under the weights (uniform: 1..n-1 alike),
        as the smallest integers that hold them (a stable sort of 16-bit keys is a radix sort)."""
        n_items = len(self.cumulative)
        small = np.uint16 if n_items <= 1 << 16 else np.int64
        if self.sampling.kind == "uniform":  # the same columns the search below finds, without it
            return np.minimum((uniforms * (n_items - 1)).astype(np.int64) + 1, n_items - 1).astype(small)
        # indexed search: start at the bucket's first column, step on while the cumulative weight is passed
        wanted = uniforms * self.cumulative[-1]
        found = self.guide[np.minimum((uniforms * len(self.guide)).astype(np.int64), len(self.guide) - 1)]
        found = np.minimum(found, n_items - 1)
        while True:
            short = (self.cumulative[found] <= wanted) & (found < n_items - 1)
            if not short.any():
                return found.astype(small)
            found += short

    def _rated_test(self, users: np.ndarray) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """(cases, movies) -> whether each case's user rated each movie, for the cases of `users`:
        their rows made dense (bools) where they fit in a score batch's bytes, else a search of their sorted keys."""
        distinct, local = np.unique(users, return_inverse=True)
        rows = self.rated[distinct]
        n_items = rows.shape[1]
        if len(distinct) * n_items <= memory.SCORE_BATCH_BYTES:
            dense = rows.toarray().astype(bool)
            return lambda cases, drawn: dense[local[cases][:, None], drawn]
        keys = np.repeat(np.arange(len(distinct), dtype=np.int64), np.diff(rows.indptr)) * n_items + rows.indices

        def search(cases: np.ndarray, drawn: np.ndarray) -> np.ndarray:
            wanted = local[cases][:, None] * n_items + drawn.astype(np.int64)
            at = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
            return keys[at] == wanted if len(keys) else np.zeros(wanted.shape, dtype=bool)

        return search


def fitted_n(samplings: Sequence[Sampling], rated: sparse.csr_matrix, train: ZeroOne, users: np.ndarray) -> int:
    """The N the samplings are drawn with: their largest, lowered (where none is strict) to the most
    every kind allows on this split; 0 when some user has no movie left to draw."""
    n = max(s.n for s in samplings)
    if any(s.strict for s in samplings):
        return n
    return min(n, *(_fewest_left(rated, _weights(s.kind, train), users)[0] for s in samplings))


def negatives_for(
    samplings: Sequence[Sampling], train: ZeroOne, users: np.ndarray, items: np.ndarray
) -> list[Negatives]:
    """Each sampling's negatives on a split's test cases (empty when nothing can be drawn); ValueError
    when a strict N is more than some user's movies left to draw."""
    if not samplings:
        return []
    users = np.asarray(users, dtype=np.int64).reshape(-1)
    items = np.asarray(items, dtype=np.int64).reshape(-1)
    rated = _rated(train, users, items)
    n = fitted_n(samplings, rated, train, users)
    if n < 1:
        return []
    found = [Negatives._build(s, rated, _weights(s.kind, train), users, None if s.strict else n) for s in samplings]
    if len(users) * n * 4 > memory.SCORE_BATCH_BYTES:  # too many to hold: drawn again where read
        return found
    return [replace(neg, drawn=neg.draw(users, items)) for neg in found]


def sampled_rank(own: np.ndarray, picked: np.ndarray) -> np.ndarray:
    """0-based rank of each case's held-out movie among its sampled ones: those scoring strictly
    higher plus half of those scoring the same (`picked`: (cases, n) scores, `own`: (cases,))."""
    own = np.asarray(own)[:, None]
    return np.sum(picked > own, axis=1) + 0.5 * np.sum(picked == own, axis=1)


def hit_and_ndcg(ranks: np.ndarray, k: int = SAMPLED_K) -> tuple[np.ndarray, np.ndarray]:
    """Per case: a hit when the rank is below k, and 1 / log2(rank + 2) then (one relevant movie), else 0."""
    ranks = np.asarray(ranks, dtype=np.float64)
    hit = ranks < k
    return hit, np.where(hit, 1.0 / np.log2(ranks + 2.0), 0.0)


def sampled_report(negatives: Sequence[Negatives], ranks: Sequence[np.ndarray], prefix: str = "") -> dict[str, float]:
    """Each sampling's mean sampled hit rate@10 and NDCG@10 under `prefix`, and the N drawn (`sampled_n`)."""
    report: dict[str, float] = {}
    for found, rank in zip(negatives, ranks, strict=True):
        hit, ndcg = hit_and_ndcg(rank)
        hit_key, ndcg_key = found.sampling.keys
        report[prefix + hit_key] = float(np.mean(hit)) if len(rank) else 0.0
        report[prefix + ndcg_key] = float(np.mean(ndcg)) if len(rank) else 0.0
        report[N_KEY] = float(found.n)
    return report
