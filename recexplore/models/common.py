"""Shared model building blocks and config validation helpers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from recexplore.config.memory import HISTORY_CAP, large_catalogue
from recexplore.data.history import History


def embedding(size: int, dim: int, name: str, mask_zero: bool = False) -> keras.layers.Embedding:
    """An embedding table initialised N(0, 0.05), as the retrieval towers and next-movie models use."""
    return keras.layers.Embedding(
        size, dim, embeddings_initializer=keras.initializers.RandomNormal(stddev=0.05), mask_zero=mask_zero, name=name
    )


def mlp(
    widths: Sequence[int],
    name: str,
    dropout: float = 0.0,
    final_activation: str | None = None,
    kernel_l2: float = 0.0,
) -> keras.Sequential:
    """Dense stack with ReLU on all but the last layer (which gets `final_activation`)."""
    layers: list[keras.layers.Layer] = []
    for i, width in enumerate(widths):
        last = i == len(widths) - 1
        layers.append(
            keras.layers.Dense(
                width,
                activation=final_activation if last else "relu",
                kernel_regularizer=keras.regularizers.L2(kernel_l2) if kernel_l2 else None,
                name=f"{name}_dense_{i}",
            )
        )
        if dropout > 0 and not last:
            layers.append(keras.layers.Dropout(dropout, name=f"{name}_dropout_{i}"))
    return keras.Sequential(layers, name=name)


@keras.saving.register_keras_serializable(package="recexplore")
class RatedMovies(keras.layers.Layer):
    """Holds the training split's 'who rated what' (`large_catalogue` says in which form) and
    averages embedding-table rows over it: a user's rated movies, or a movie's raters.

    Its variables are deliberately left out of saved files (MovieLens may not be
    redistributed, and the history is rebuilt from the data and the stored split).
    """

    def __init__(self, n_users: int, n_movies: int, latest_only: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_users, self.n_movies = int(n_users), int(n_movies)
        self.latest_only = bool(latest_only)  # the lists on any catalogue (each row's latest HISTORY_CAP)
        self.dense = not latest_only and not large_catalogue(self.n_users, self.n_movies)
        if self.dense:
            self.matrix = self._weight((self.n_users, self.n_movies), "int8", "matrix")
        else:
            self.user_lists = self._weight((self.n_users, HISTORY_CAP), "int32", "user_lists")
            self.user_counts = self._weight((self.n_users,), "int32", "user_counts")
            self.movie_lists = self._weight((self.n_movies, HISTORY_CAP), "int32", "movie_lists")
            self.movie_counts = self._weight((self.n_movies,), "int32", "movie_counts")
        self.built = True

    def _weight(self, shape: tuple[int, ...], dtype: str, name: str) -> Any:
        return self.add_weight(shape=shape, initializer="zeros", dtype=dtype, trainable=False, name=name)

    def assign(self, history: History | np.ndarray) -> None:
        """Replace the history: a `History`, or (the matrix form only) the 0/1 matrix itself."""
        if isinstance(history, History):
            if self.dense:
                self.matrix.assign(history.matrix(self.n_users, self.n_movies))
            else:
                for by_user, lists, counts, n_rows in (
                    (True, self.user_lists, self.user_counts, self.n_users),
                    (False, self.movie_lists, self.movie_counts, self.n_movies),
                ):
                    found, kept = history.lists(by_user, n_rows, cap=int(lists.shape[1]))
                    lists.assign(found)
                    counts.assign(kept)
            return
        values = np.asarray(history, dtype=np.int8)
        if not self.dense or values.shape != (self.n_users, self.n_movies):
            raise ValueError(f"rated matrix must have shape {(self.n_users, self.n_movies)}, got {values.shape}")
        self.matrix.assign(values)

    def mean_rows(self, table: Any, index: Any, by_user: bool) -> tuple[Any, Any]:
        """For each `index` (a user, or with by_user=False a movie), the 1/sqrt(n)-scaled sum of the
        `table` rows of what it rated (or who rated it), and the mean squared norm of those rows
        (for the L2 penalty). This runs every training step."""
        if self.dense:
            return _matrix_mean_rows(keras.ops.cast(self.matrix, "float32"), table, index, by_user)
        ops = keras.ops
        lists, counts = (self.user_lists, self.user_counts) if by_user else (self.movie_lists, self.movie_counts)
        found = ops.take(lists, index, axis=0)  # (batch, cap)
        n = ops.cast(ops.take(counts, index, axis=0), "float32")
        mask = ops.cast(ops.arange(lists.shape[1])[None, :] < ops.cast(n, "int32")[:, None], "float32")
        rows = ops.take(table, found, axis=0)  # (batch, cap, dim)
        n = ops.maximum(n, 1.0)
        vectors = ops.einsum("bc,bcd->bd", mask, rows) / ops.sqrt(n)[:, None]
        norms = ops.sum(mask * ops.sum(ops.square(rows), axis=2), axis=1) / n
        return vectors, norms

    def user_rows(self, users: Any, exclude: Any = None) -> tuple[Any, Any]:
        """The movies each of `users` rated, less `exclude` (one movie per user, or None): (None, a
        float32 (batch, movies) 0/1 mask over the whole catalogue) from the matrix, or ((batch, cap)
        movie indices, their (batch, cap) 0/1 mask) from the lists."""
        ops = keras.ops
        if self.dense:
            mask = ops.cast(ops.take(self.matrix, users, axis=0), "float32")
            if exclude is not None:
                mask = mask * (1.0 - ops.one_hot(exclude, self.n_movies, dtype="float32"))
            return None, mask
        found = ops.take(self.user_lists, users, axis=0)
        n = ops.take(self.user_counts, users, axis=0)
        mask = ops.cast(ops.arange(self.user_lists.shape[1])[None, :] < n[:, None], "float32")
        if exclude is not None:
            mask = mask * ops.cast(ops.not_equal(found, exclude[:, None]), "float32")
        return found, mask

    def save_own_variables(self, store: Any) -> None:
        """Save nothing: the history is data, rebuilt after loading."""

    def load_own_variables(self, store: Any) -> None:
        """Nothing was saved."""

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"n_users": self.n_users, "n_movies": self.n_movies, "latest_only": self.latest_only})
        return config


def _matrix_mean_rows(rated: Any, table: Any, index: Any, by_user: bool) -> tuple[Any, Any]:
    """`RatedMovies.mean_rows` from the 0/1 matrix: every row at once, then gathered. One pass over
    the matrix, never transposed."""
    ops = keras.ops
    counts = ops.maximum(ops.sum(rated, axis=1 if by_user else 0), 1.0)
    rows = ops.concatenate([table, ops.sum(ops.square(table), axis=1, keepdims=True)], axis=1)
    both = ops.einsum("um,md->ud" if by_user else "um,ud->md", rated, rows)
    vectors = both[:, :-1] / ops.sqrt(counts)[:, None]
    return ops.take(vectors, index, axis=0), ops.take(both[:, -1] / counts, index, axis=0)
