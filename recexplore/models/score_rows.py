"""A scorer's users x movies scores, made a batch of users at a time (`ScoreRows`), and the 0/1
training matrices (dense or CSR) they are read against: no users x movies float matrix in one piece."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TypeAlias

import numpy as np
from scipy import sparse

from recexplore.config import memory

COUNT_CHUNK = 1 << 22  # a sparse matrix's column indices counted at once (`axis_counts`: a 32 MB int64 copy)


# A users x items 0/1 matrix (training interactions, an exclusion mask): dense, or scipy sparse (CSR).
ZeroOne: TypeAlias = "np.ndarray | sparse.csr_matrix"


def dense_rows(matrix: ZeroOne, rows: np.ndarray) -> np.ndarray:
    """`matrix[rows]` as a dense array (of a sparse matrix, only those rows are made dense)."""
    if sparse.issparse(matrix):
        return matrix[np.asarray(rows, dtype=np.int64)].toarray()
    return np.asarray(matrix)[rows]


def nonzero_in_rows(matrix: ZeroOne, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in `rows`, column) of every nonzero cell of `matrix`'s `rows` (int64, row-major
    for a dense matrix)."""
    if sparse.issparse(matrix):
        found, column = matrix[np.asarray(rows, dtype=np.int64)].nonzero()
        return found.astype(np.int64), column.astype(np.int64)
    return np.nonzero(np.asarray(matrix)[rows])


def exclude_rows(rows: np.ndarray, mask: ZeroOne, users: np.ndarray) -> None:
    """Set the score rows of `users` (`rows`, in place) to -inf wherever `mask[users]` is nonzero."""
    if sparse.issparse(mask):
        found, column = nonzero_in_rows(mask, users)
        rows[found, column] = -np.inf
    else:
        rows[np.asarray(mask)[users].astype(bool, copy=False)] = -np.inf


def axis_counts(matrix: ZeroOne, axis: int) -> np.ndarray:
    """A 0/1 matrix's int64 sums over `axis` (0: per column, the items' counts; 1: per row, the users')."""
    if not sparse.issparse(matrix):
        return np.asarray(matrix).sum(axis=axis, dtype=np.int64)
    data = matrix.data
    if matrix.format != "csr" or (data.size and not data.min() == 1 == data.max()):
        return np.asarray(matrix.sum(axis=axis, dtype=np.int64)).reshape(-1)  # (an int64 copy of the values)
    if axis == 1:  # every stored value a one: counted from the index arrays alone
        return np.diff(matrix.indptr).astype(np.int64)
    counts = np.zeros(matrix.shape[1], dtype=np.int64)
    for start in range(0, matrix.nnz, COUNT_CHUNK):
        counts += np.bincount(matrix.indices[start : start + COUNT_CHUNK], minlength=matrix.shape[1])
    return counts


def batch_users(n_items: int, budget: int | None = None) -> int:
    """Users per evaluation batch: as many (n_items,) rows of 8-byte scores as fit in `budget`
    (default memory.SCORE_BATCH_BYTES), at least one."""
    budget = memory.SCORE_BATCH_BYTES if budget is None else budget
    return max(1, int(budget) // (max(int(n_items), 1) * 8))


@dataclass(frozen=True, eq=False)
class ScoreRows:
    """A users x items score matrix handed out a batch of users at a time: a stored `table`
    ((n_users, n_items), or (1, n_items) shared by every user: the popularity baseline), or the
    product `left[users] @ right` (towers: query vectors @ candidate vectors.T; EASE: training rows
    @ B). With `columns`, `left` is users x catalogue and `right` relates only those columns (EASE
    on the most-rated movies): scores are `left[users][:, columns] @ right` there, -inf (never
    ranked) elsewhere. With `lookup`, user u's row is `table[lookup[u]]` of a table that may be
    sparse (transitions: counts after each user's last movie); `offset` is added to every row.
    """

    table: np.ndarray | sparse.csr_matrix | None = None
    left: np.ndarray | sparse.csr_matrix | None = None  # a sparse `left` is made dense a block of rows at a time
    right: np.ndarray | None = None
    left_dtype: type | None = None  # `left` rows are cast to it before the product (None: as stored)
    columns: np.ndarray | None = None
    batch: int | None = None  # users per batch (None: `batch_users` of the catalogue)
    lookup: np.ndarray | None = None  # each user's row of `table`
    offset: np.ndarray | None = None  # (n_items,) added to every user's row of `table`

    @classmethod
    def of(cls, scores: np.ndarray | ScoreRows, batch: int | None = None) -> ScoreRows:
        """`scores` as score rows (a stored table is wrapped, not copied); `batch` overrides its batch."""
        found = scores if isinstance(scores, ScoreRows) else cls(table=np.asarray(scores))
        return found if batch is None else replace(found, batch=int(batch))

    @classmethod
    def product(
        cls,
        left: np.ndarray | sparse.csr_matrix,
        right: np.ndarray,
        left_dtype: type | None = None,
        columns: np.ndarray | None = None,
        batch: int | None = None,
    ) -> ScoreRows:
        """Scores `left[users] @ right` (on `columns` only, when given)."""
        return cls(left=left, right=right, left_dtype=left_dtype, columns=columns, batch=batch)

    @property
    def n_items(self) -> int:
        if self.table is not None:
            return int(self.table.shape[1])
        return int(self.left.shape[1] if self.columns is not None else self.right.shape[1])

    @property
    def shared(self) -> np.ndarray | None:
        """The one row every user shares (a (1, n_items) table), else None."""
        plain = self.table is not None and self.lookup is None and self.offset is None
        return self.table[0] if plain and self.table.shape[0] == 1 else None

    @property
    def users_per_batch(self) -> int:
        return self.batch if self.batch is not None else batch_users(self.n_items)

    def rows(self, users: np.ndarray) -> np.ndarray:
        """(len(users), n_items) scores of `users` in one piece (a few users: a recommendation list)."""
        users = np.asarray(users, dtype=np.int64)
        if self.table is not None:
            return self._table_rows(users)
        return self._product(self.left[users])

    def full(self) -> np.ndarray:
        """Every user's row in one piece (small catalogues and tests only)."""
        if self.table is not None:
            plain = self.lookup is None and self.offset is None
            return self.table if plain else self._table_rows(np.arange(len(self.lookup)))
        return self._product(self.left)

    def spans(self, count: int) -> Iterator[tuple[int, int]]:
        """(start, stop) bounds of consecutive batches over `count` users."""
        step = self.users_per_batch
        for start in range(0, count, step):
            yield start, min(start + step, count)

    def batches(self, users: np.ndarray) -> Iterator[tuple[int, int, np.ndarray]]:
        """For ascending user rows `users`: each batch's bounds in `users` and its users' score rows
        (a fresh array the caller may change).

        A product is made for whole blocks of `users_per_batch` consecutive user rows, the rows
        asked for taken from them: a user's scores never depend on which others are asked for, and
        where one block holds every user it is the very product a one-piece `full` makes (BLAS
        rounds a product's last bits by its shape).
        """
        if self.table is not None:
            for start, stop in self.spans(len(users)):
                yield start, stop, self._table_rows(users[start:stop])
            return
        step, n_rows, start = self.users_per_batch, self.left.shape[0], 0
        while start < len(users):
            first = int(users[start]) // step * step
            stop = int(np.searchsorted(users, first + step, side="left"))
            block = self._product(self.left[first : min(first + step, n_rows)])
            wanted = np.asarray(users[start:stop], dtype=np.int64) - first
            whole = len(wanted) == len(block) and bool(np.all(wanted == np.arange(len(block))))
            yield start, stop, block if whole else block[wanted]
            start = stop

    def _table_rows(self, users: np.ndarray) -> np.ndarray:
        table = self.table
        if self.lookup is not None:
            rows = dense_rows(table, self.lookup[users])
        else:
            rows = np.take(table, users, axis=0) if table.shape[0] > 1 else np.repeat(table, len(users), axis=0)
        return rows if self.offset is None else rows + self.offset[None, :]

    def _product(self, left: np.ndarray | sparse.csr_matrix) -> np.ndarray:
        """Scores of the users whose `left` rows are given (sparse rows made dense here, at `columns`)."""
        part = left if self.columns is None else left[:, self.columns]
        if sparse.issparse(part):
            part = part.toarray()
        product = np.asarray(part, dtype=self.left_dtype) @ self.right
        if self.columns is None:
            return product
        out = np.full((len(part), self.n_items), -np.inf, dtype=product.dtype)
        out[:, self.columns] = product
        return out
