"""Shared model building blocks and config validation helpers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from typing import Any, TypeVar

import keras
import numpy as np

_C = TypeVar("_C", bound="ConfigDict")
MAX_LAYER_WIDTH = 4096
MAX_LAYERS = 8


class ConfigDict:
    """to_dict/from_dict for frozen config dataclasses (tuples stored as JSON lists)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[_C], payload: dict[str, Any]) -> _C:
        """Inverse of `to_dict`; unknown keys are ignored."""
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in payload.items() if k in known})


def check_positive(name: str, value: Any, kind: type, upper: float | None = None) -> None:
    """Raise ValueError naming `name` unless value is a positive `kind` (bools refused)."""
    ok_type = isinstance(value, int) if kind is int else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or not value > 0:
        raise ValueError(f"{name} must be a positive {kind.__name__}, got {value!r}")
    if upper is not None and value > upper:
        raise ValueError(f"{name} must be at most {upper:g}, got {value!r}")


def check_layers(name: str, value: Any, allow_empty: bool = False) -> tuple[int, ...]:
    """Validate a list of layer widths and return it as a tuple of ints."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a sequence of positive integers, got {value!r}")
    widths = tuple(value)
    if not widths and not allow_empty:
        raise ValueError(f"{name} must name at least one layer width, got {value!r}")
    if len(widths) > MAX_LAYERS:
        raise ValueError(f"{name} may have at most {MAX_LAYERS} layers, got {len(widths)}")
    for width in widths:
        if isinstance(width, bool) or not isinstance(width, int) or not 0 < width <= MAX_LAYER_WIDTH:
            raise ValueError(f"{name} widths must be integers in 1..{MAX_LAYER_WIDTH}, got {value!r}")
    return widths


def parse_layers(text: str, name: str = "layers", allow_empty: bool = False) -> tuple[int, ...]:
    """Parse '64,32' into (64, 32); raise ValueError naming `name` otherwise."""
    text = str(text).strip()
    if not text:
        if allow_empty:
            return ()
        raise ValueError(f"{name} must name at least one layer width, e.g. 64,32")
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isdigit() for p in parts):
        raise ValueError(f"{name} must be comma-separated whole numbers such as 64,32, got {text!r}")
    return check_layers(name, [int(p) for p in parts], allow_empty=allow_empty)


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
    """Holds the users x movies 0/1 'who rated what' matrix of the training split.

    Its variable is deliberately left out of saved files (MovieLens may not be
    redistributed, and the matrix is rebuilt from the data and the stored split).
    """

    def __init__(self, n_users: int, n_movies: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_users, self.n_movies = int(n_users), int(n_movies)
        self.matrix = self.add_weight(
            shape=(self.n_users, self.n_movies), initializer="zeros", dtype="int8", trainable=False, name="matrix"
        )
        self.built = True

    def assign(self, matrix: np.ndarray) -> None:
        """Replace the matrix (shape must match)."""
        values = np.asarray(matrix, dtype=np.int8)
        if values.shape != (self.n_users, self.n_movies):
            raise ValueError(f"rated matrix must have shape {(self.n_users, self.n_movies)}, got {values.shape}")
        self.matrix.assign(values)

    def save_own_variables(self, store: Any) -> None:
        """Save nothing: the matrix is data, rebuilt after loading."""

    def load_own_variables(self, store: Any) -> None:
        """Nothing was saved."""

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"n_users": self.n_users, "n_movies": self.n_movies})
        return config
