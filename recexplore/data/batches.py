"""Model inputs for many rating rows: in one piece while small, else gathered a batch at a time.

A model's per-rating inputs (ids, demographics, genre multi-hots, time features: 124 bytes a
rating for the DLRM, 140 for the towers) cost 3 GB at 25M ratings, and Keras copies arrays it is
handed into its own input pipeline. Above `INPUT_BYTES_IN_ONE_PIECE` the rows are kept as a `Maker` over small
index arrays instead, and the inputs are gathered a batch at a time: a `keras.utils.PyDataset`
for `fit` (the input Keras streams on every backend; on TensorFlow it becomes a prefetched
`tf.data` pipeline), and chunks of rows for predictions. Below the bound nothing changes: the
arrays go to `fit` whole, as before, so ML-100K and ML-1M train on the same batches as ever.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from recexplore.config import memory

# Threads gathering batches ahead of the training step (Keras' PyDataset workers).
LOADER_THREADS = 2

# The inputs of rows `index` (positions into the rows the maker was made for).
Maker = Callable[[np.ndarray], dict[str, np.ndarray]]


def row_bytes(make: Maker) -> int:
    """Bytes of model inputs one row costs (measured on row 0)."""
    return max(1, sum(np.asarray(v).nbytes for v in make(np.zeros(1, dtype=np.int64)).values()))


def rows_in_one_piece(make: Maker) -> int:
    """How many rows' inputs fit in `INPUT_BYTES_IN_ONE_PIECE`."""
    return max(1, memory.INPUT_BYTES_IN_ONE_PIECE // row_bytes(make))


class FeatureBatches(keras.utils.PyDataset):
    """`fit`'s input gathered a batch at a time: rows in a fresh seeded order every epoch."""

    def __init__(self, make: Maker, rows: int, labels: np.ndarray | None, batch_size: int, seed: int) -> None:
        super().__init__(workers=LOADER_THREADS)
        self._make, self._rows, self._labels, self._batch = make, int(rows), labels, int(batch_size)
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(self._rows)

    def __len__(self) -> int:
        return -(-self._rows // self._batch)

    def __getitem__(self, index: int) -> Any:
        picked = np.sort(self._order[index * self._batch : (index + 1) * self._batch])
        x = self._make(picked)
        return x if self._labels is None else (x, self._labels[picked])

    def on_epoch_end(self) -> None:
        self._order = self._rng.permutation(self._rows)


def fit_input(
    make: Maker, rows: int, labels: np.ndarray | None, batch_size: int, seed: int
) -> tuple[Any, np.ndarray | None, bool]:
    """`(x, y, shuffle)` for `model.fit`: the whole arrays when they fit in one piece, else a
    `FeatureBatches` (which shuffles itself, so Keras must not)."""
    if rows <= rows_in_one_piece(make):
        return make(np.arange(rows)), labels, True
    return FeatureBatches(make, rows, labels, batch_size, seed), None, False


def in_pieces(make: Maker, rows: int, apply: Callable[[dict[str, np.ndarray]], np.ndarray]) -> np.ndarray:
    """`apply` over the inputs of every row, built at most `rows_in_one_piece` rows at a time,
    joined in row order (one piece, and the same numbers, when they fit)."""
    step = rows_in_one_piece(make)
    parts = [apply(make(np.arange(start, min(start + step, rows)))) for start in range(0, rows, step)]
    return np.concatenate(parts) if parts else np.zeros(0)
