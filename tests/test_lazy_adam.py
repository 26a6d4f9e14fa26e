"""The row-sparse AdamW of large catalogues: AdamW's step for dense gradients, and for an
embedding lookup's gradient an update of the rows the batch used only."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from recexplore.config import memory
from recexplore.models.lazy_adam import LazyAdamW, lazy_optimizer

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="IndexedSlices are TensorFlow's")


def _steps(
    optimizer: keras.optimizers.Optimizer, start: np.ndarray, batches: list[list[int]], dense: bool
) -> np.ndarray:
    """The table after one step a batch: loss = sum of squares of the looked-up rows (or of the
    whole table times a 0/1 row mask, whose gradient is dense)."""
    import tensorflow as tf

    table = keras.Variable(start.copy(), dtype="float32")
    for rows in batches:
        with tf.GradientTape() as tape:
            if dense:
                mask = np.zeros((len(start), 1), np.float32)
                np.add.at(mask, rows, 1.0)
                loss = tf.reduce_sum(tf.square(table.value) * mask)
            else:
                loss = tf.reduce_sum(tf.square(tf.gather(table.value, rows)))
        optimizer.apply([tape.gradient(loss, table.value)], [table])
    return keras.ops.convert_to_numpy(table)


START = np.random.default_rng(0).normal(size=(6, 3)).astype(np.float32)
BATCHES = [[1, 1, 3], [3, 4], [1]]


def test_dense_gradients_take_adamw_steps() -> None:
    lazy = _steps(LazyAdamW(0.05, weight_decay=0.1), START, BATCHES, dense=True)
    plain = _steps(keras.optimizers.AdamW(0.05, weight_decay=0.1), START, BATCHES, dense=True)
    np.testing.assert_allclose(lazy, plain, rtol=1e-6, atol=1e-7)


def test_sparse_gradients_update_only_the_rows_used() -> None:
    lazy = _steps(LazyAdamW(0.05, weight_decay=0.1), START, BATCHES, dense=False)
    np.testing.assert_array_equal(lazy[[0, 2, 5]], START[[0, 2, 5]])  # never looked up: untouched
    assert not np.allclose(lazy[[1, 3, 4]], START[[1, 3, 4]])
    # One step from zero moments is AdamW's step for the rows used (repeated rows summed).
    first = _steps(LazyAdamW(0.05, weight_decay=0.1), START, BATCHES[:1], dense=False)
    plain = _steps(keras.optimizers.AdamW(0.05, weight_decay=0.1), START, BATCHES[:1], dense=True)
    np.testing.assert_allclose(first[[1, 3]], plain[[1, 3]], rtol=1e-5, atol=1e-6)


def test_the_lazy_optimizer_only_on_a_large_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    small = {"user_id": 944, "movie_id": 1683}
    assert type(lazy_optimizer(small, 0.01)) is keras.optimizers.Adam
    assert type(lazy_optimizer(small, 0.01, 0.3)) is keras.optimizers.AdamW
    large = {"user_id": 162_542, "movie_id": 62_424}
    assert isinstance(lazy_optimizer(large, 0.01), LazyAdamW)
    monkeypatch.setattr(memory, "LARGE_CATALOGUE_CELLS", 0)
    assert isinstance(lazy_optimizer(small, 0.01, 0.3), LazyAdamW)
