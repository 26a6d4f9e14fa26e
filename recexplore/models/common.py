"""Shared model building blocks and config validation helpers."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, TypeVar

import keras
import numpy as np

_C = TypeVar("_C", bound="ConfigDict")
MAX_LAYER_WIDTH = 4096
MAX_LAYERS = 8
MAX_EMBEDDING_DIM = 1024
MAX_BATCH_SIZE = 1 << 16
MAX_EPOCHS = 1000


@dataclass(frozen=True)
class Bound:
    """The allowed range of a numeric setting: the config checks it, widgets and the CLI read it."""

    low: float
    high: float
    integer: bool = False
    open_low: bool = False  # low itself is not allowed (a positive number)
    open_high: bool = False

    def describe(self) -> str:
        """'an integer from 1 to 1024', 'a number in (0, 10]'."""
        if self.integer:
            return f"an integer from {self.low + (1 if self.open_low else 0):g} to {self.high:g}"
        return f"a number in {'(' if self.open_low else '['}{self.low:g}, {self.high:g}{')' if self.open_high else ']'}"

    def allows(self, value: Any) -> bool:
        """True when `value` has the right type (bools refused) and lies in the range."""
        kinds = (int,) if self.integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
            return False
        above = value > self.low if self.open_low else value >= self.low
        below = value < self.high if self.open_high else value <= self.high
        return above and below

    @property
    def smallest(self) -> float:
        """The least value a widget should offer (a step above an open low end)."""
        if not self.open_low:
            return self.low
        return self.low + 1 if self.integer else self.low + 1e-4


EMBEDDING_DIM = Bound(0, MAX_EMBEDDING_DIM, integer=True, open_low=True)
BATCH_SIZE = Bound(0, MAX_BATCH_SIZE, integer=True, open_low=True)
EPOCHS = Bound(0, MAX_EPOCHS, integer=True, open_low=True)
LEARNING_RATE = Bound(0.0, 10.0, open_low=True)


def setting(
    default: Any,
    help: str,
    bound: Bound | None = None,
    choices: tuple[str, ...] | None = None,
    layers: str | None = None,
    explain: str | None = None,
) -> Any:
    """A config field with its meaning and its rule: a numeric `bound`, `choices`, or
    `layers` ('one or more' / 'any') for a list of layer widths; none of these: a bool.
    `explain` is a longer sentence for the Train page's tooltip."""
    rule = {"help": help, "bound": bound, "choices": choices, "layers": layers, "explain": explain}
    return field(default=default, metadata=rule)


class ConfigDict:
    """Frozen config dataclasses whose fields carry their own rules (`setting`): one check,
    one wording, and to_dict/from_dict (tuples stored as JSON lists, unknown keys refused)."""

    # Settings added after models were saved with this config: the value those models were
    # trained with, which `from_saved` gives them in place of today's default.
    SAVED_BEFORE: ClassVar[dict[str, Any]] = {}

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            rule, value = f.metadata, getattr(self, f.name)
            if rule.get("layers"):
                widths = check_layers(f.name, value, allow_empty=rule["layers"] == "any")
                object.__setattr__(self, f.name, widths)
            elif rule.get("bound") is not None and not rule["bound"].allows(value):
                raise ValueError(f"{f.name} must be {rule['bound'].describe()}, got {value!r}")
            elif rule.get("choices") is not None and value not in rule["choices"]:
                raise ValueError(f"{f.name} must be one of {', '.join(rule['choices'])}, got {value!r}")
            elif rule and rule.get("bound") is None and not rule.get("choices") and not isinstance(value, bool):
                raise ValueError(f"{f.name} must be true or false, got {value!r}")

    @classmethod
    def rule(cls, name: str) -> Mapping[str, Any]:
        """The field's help text and rule (bound, choices or layers)."""
        return next(f.metadata for f in fields(cls) if f.name == name)  # type: ignore[arg-type]

    @classmethod
    def bound(cls, name: str) -> Bound:
        """The numeric range of field `name`."""
        return cls.rule(name)["bound"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[_C], payload: Mapping[str, Any]) -> _C:
        """Inverse of `to_dict`; a key that is not a setting is refused with its name."""
        known = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        unknown = sorted(set(payload) - set(known))
        if unknown:
            raise ValueError(f"unknown {cls.__name__} setting {unknown[0]!r} (settings: {', '.join(known)})")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in payload.items()})

    @classmethod
    def from_saved(cls: type[_C], payload: Mapping[str, Any]) -> _C:
        """`from_dict` for a config saved with a model: a setting added since the model was saved
        takes the value it was trained with (`SAVED_BEFORE`), not today's default."""
        return cls.from_dict({**cls.SAVED_BEFORE, **payload})


def whole_config(config_cls: type[ConfigDict], saved: Mapping[str, Any]) -> dict[str, Any]:
    """A saved model's constructor arguments with its settings as one `config_cls`: either the
    'model_config' dict, or (saved before the config was whole) the flat arguments that are
    settings; settings it did not save take the config's defaults (they only affect training)."""
    saved = dict(saved)
    settings = saved.pop("model_config", None)
    if settings is None:
        names = {f.name for f in fields(config_cls)}  # type: ignore[arg-type]
        settings = {k: saved.pop(k) for k in list(saved) if k in names}
    return {"model_config": config_cls.from_saved(settings), **saved}


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
    """Layer widths typed by a person ('64,32', '64; 32'): the one parser of the CLI and the pages.

    Only ASCII digits count ('²' or '٣' are refused, not passed to int()), and a width too long
    to be in range is refused before it is converted, so every message is one clear line.
    """
    text = str(text).replace(";", ",").strip()
    if not text:
        if allow_empty:
            return ()
        raise ValueError(f"{name} must name at least one layer width, e.g. 64,32")
    parts = [p.strip() for p in text.split(",")]
    if any(not (p.isascii() and p.isdigit()) for p in parts):
        typed = text if len(text) <= 40 else text[:40] + "..."
        raise ValueError(f"{name} must be comma-separated whole numbers such as 64,32, got {typed!r}")
    for part in parts:
        if len(part.lstrip("0")) > len(str(MAX_LAYER_WIDTH)) or not 0 < int(part) <= MAX_LAYER_WIDTH:
            shown = part if len(part) <= 12 else part[:12] + "..."
            raise ValueError(f"{name}: each width must be from 1 to {MAX_LAYER_WIDTH}, got {shown}")
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


# A large catalogue: more than LARGE_CATALOGUE_CELLS users x movies cells (ML-100K: 1.6M, ML-1M:
# 22M, ML-10M: 750M, ML-25M: 10G). On one, what costs users x movies per step changes form: the
# rated-movies history becomes lists (below), the towers train without the EASE teacher, and the
# optimizer updates only the embedding rows a batch used (models/lazy_adam.py).
LARGE_CATALOGUE_CELLS = 50_000_000


def large_catalogue(n_users: int, n_movies: int) -> bool:
    """Whether users x movies passes LARGE_CATALOGUE_CELLS."""
    return int(n_users) * int(n_movies) > LARGE_CATALOGUE_CELLS


# The rated-movies features' representation: the exact users x movies 0/1 matrix on a catalogue
# that is not large (ML-100K, ML-1M), else each user's latest HISTORY_CAP
# movies and each movie's latest HISTORY_CAP raters (ML-10M: 750M cells, ML-25M: 10G). The matrix
# costs users x movies per training step; the lists cost batch x HISTORY_CAP, whatever the data.
# 64, not 256: a DLRM epoch on 1M synthetic ratings over 62K movies took 87 s (2.5 GB) against
# 306 s (5.8 GB), with the same test RMSE (0.829); ML-25M's median user has 71 ratings.
HISTORY_CAP = 64


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


@keras.saving.register_keras_serializable(package="recexplore")
class RatedMovies(keras.layers.Layer):
    """Holds the training split's 'who rated what' (`large_catalogue` says in which form) and
    averages embedding-table rows over it: a user's rated movies, or a movie's raters.

    Its variables are deliberately left out of saved files (MovieLens may not be
    redistributed, and the history is rebuilt from the data and the stored split).
    """

    def __init__(self, n_users: int, n_movies: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_users, self.n_movies = int(n_users), int(n_movies)
        self.dense = not large_catalogue(self.n_users, self.n_movies)
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

    def save_own_variables(self, store: Any) -> None:
        """Save nothing: the history is data, rebuilt after loading."""

    def load_own_variables(self, store: Any) -> None:
        """Nothing was saved."""

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"n_users": self.n_users, "n_movies": self.n_movies})
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
