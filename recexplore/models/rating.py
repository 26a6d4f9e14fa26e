"""What every rating family (DLRM, DCN, the DNN control) shares: the settings, one embedding per
feature, the bias terms, the rated-movies features and the factorisation path. A family adds only
the network that turns the embeddings into a residual (`RatingModel.residual`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import keras
import numpy as np
from keras import ops

from recexplore.config import memory
from recexplore.config.memory import HISTORY_CAP, large_catalogue
from recexplore.config.search import Choice, LogUniform, Uniform
from recexplore.config.settings import (
    BATCH_SIZE,
    EMBEDDING_DIM,
    EPOCHS,
    LEARNING_RATE,
    Bound,
    ConfigDict,
    setting,
    whole_config,
)
from recexplore.data.features import DENSE_FEATURES
from recexplore.data.history import History
from recexplore.data.splits import VALIDATION_FRACTION
from recexplore.models.common import RatedMovies, mlp

# Sparse features in interaction order; "dense" (the bottom-MLP output) comes last.
RATING_SPARSE_FEATURES = (
    "user_id",
    "movie_id",
    "user_gender",
    "user_zip",
    "user_occupation",
    "age_bucket",
    "movie_genres",
    "user_history",
    "movie_audience",
)
RATING_FEATURES = (*RATING_SPARSE_FEATURES, "dense")
SCORE_PARTS = ("global_mean", "user_bias", "movie_bias", "factorisation", "top_mlp")
MOVIE_SIDE = ("movie_id", "movie_genres", "movie_audience")  # the rest (but "dense") is the user side


@dataclass(frozen=True)
class RatingConfig(ConfigDict):
    """The settings every rating family has.

    Attributes:
        embedding_dim: width of every feature embedding (and of the bottom MLP output).
        bottom_layers: hidden widths of the bottom MLP over the continuous features.
        dropout: dropout rate in the network over the embeddings.
        l2: L2 penalty on the looked-up embedding rows and biases (per example).
        top_l2: L2 penalty on the kernels of the network over the embeddings (weight decay:
            keeps it from rescaling the embeddings past the embedding penalty).
        fm_path: add the fixed-weight dot product of the summed user-side and
            movie-side embeddings to the score, so the network only models a residual.
        movie_audience: add the movie's audience as a feature: the mean embedding of the
            users who rated it in the training split (SVD++'s rated-movies feature, mirrored).
        bias_start: start the user and movie biases at the bias-only ridge fit of the
            training rows with this strength (0: start them at zero).
        learning_rate: Adam learning rate.
        batch_size: training batch size.
        epochs: training epochs (the most, with early stopping).
        early_stopping: hold out a slice of the training part and stop when its RMSE stops
            improving. Off (the default), the model trains on the whole training part for
            `epochs`, a count chosen on validation slices (bench/tune.py): the slice's rows
            (data.VALIDATION_FRACTION of them) are worth more than stopping at the best epoch.
        patience: with early stopping, epochs without validation improvement before stopping.
    """

    embedding_dim: int = setting(32, "width of every embedding", EMBEDDING_DIM)
    bottom_layers: tuple[int, ...] = setting((32,), "bottom MLP widths", layers="any")
    dropout: float = setting(0.5, "dropout in the network over the embeddings", Bound(0.0, 1.0, open_high=True))
    l2: float = setting(0.12, "L2 on looked-up rows and biases", Bound(0.0, 1.0))
    top_l2: float = setting(0.01, "L2 on the network's kernels (weight decay)", Bound(0.0, 1.0))
    fm_path: bool = setting(True, "fixed-weight factorisation path")
    movie_audience: bool = setting(True, "the movie's audience (users who rated it) as a feature")
    bias_start: float = setting(25.0, "ridge strength of the bias fit the biases start from (0: zeros)", Bound(0, 1e4))
    learning_rate: float = setting(6e-3, "Adam learning rate", LEARNING_RATE)
    batch_size: int = setting(4000, "batch size", BATCH_SIZE)
    epochs: int = setting(4, "training epochs", EPOCHS)
    early_stopping: bool = setting(
        False,
        "early stopping on a validation slice",
        explain=f"Hold out {VALIDATION_FRACTION:.0%} of the training part and stop when its RMSE stops "
        "improving. Off, the model trains on all of the training part for the set epochs (chosen on "
        "validation slices), which predicts better.",
    )
    patience: int = setting(1, "with early stopping, epochs without improvement before stopping", EPOCHS)

    @property
    def training_loss(self) -> str:
        """What training minimises: 'mse' on each star (a list-trained family says its list loss)."""
        return "mse"


class RatingModel(keras.Model):
    """A rating model over one embedding per feature, with bias terms and an SVD++-style
    'rated movies' feature and its mirror, 'audience'.

    prediction = global mean + user bias + movie bias + residual(embeddings)
    (+ fm_path: <sum of user-side embeddings, sum of movie-side embeddings>).
    The 'user_history' embedding is the mean movie-history embedding of the movies the user
    rated in the training split (implicit feedback, no ratings used); 'movie_audience' is the
    mean audience embedding of the users who rated the movie. With fm_path the dot product
    carries the factorisation signal at a fixed weight and the subclass's network (with
    `top_l2` on its kernels) models a residual. Subclasses set CONFIG and RESIDUAL_LABEL and
    implement `residual`.
    """

    CONFIG: ClassVar[type[RatingConfig]] = RatingConfig
    RESIDUAL_LABEL: ClassVar[str] = "network over the embeddings"

    def __init__(
        self, model_config: RatingConfig, vocab_sizes: dict[str, int], n_dense: int, global_mean: float, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.model_config = model_config  # the only source of the settings below
        self.vocab_sizes = dict(vocab_sizes)
        self.n_dense = int(n_dense)
        self.global_mean = float(global_mean)
        self.embedding_dim = model_config.embedding_dim
        self.bottom_layers = model_config.bottom_layers
        self.dropout = model_config.dropout
        self.l2 = model_config.l2
        self.top_l2 = model_config.top_l2
        self.fm_path = model_config.fm_path
        table_of = {
            "user_id": "user_id",
            "movie_id": "movie_id",
            "user_gender": "user_gender",
            "user_zip": "user_zip",
            "user_occupation": "user_occupation",
            "age_bucket": "age_bucket",
            "user_history": "movie_id",
        }
        if model_config.movie_audience:
            table_of["movie_audience"] = "user_id"
        self.features = tuple(f for f in RATING_FEATURES if f in table_of or f in ("movie_genres", "dense"))
        self._movie_side = tuple(i for i, f in enumerate(self.features) if f in MOVIE_SIDE)
        self._user_side = tuple(i for i, f in enumerate(self.features[:-1]) if f not in MOVIE_SIDE)
        # L2 is applied per example to looked-up rows (see `call`), not as table regularizers.
        self.embeddings = {
            name: keras.layers.Embedding(
                self.vocab_sizes[table],
                self.embedding_dim,
                embeddings_initializer=keras.initializers.RandomNormal(stddev=0.01),
                name=f"{name}_embedding",
            )
            for name, table in table_of.items()
        }
        for name in ("user_history", "movie_audience"):  # tables read directly, not called
            if name in self.embeddings:
                self.embeddings[name].build((None,))
        self.genre_projection = keras.layers.Dense(self.embedding_dim, use_bias=False, name="movie_genres_embedding")
        self.user_bias = keras.layers.Embedding(
            self.vocab_sizes["user_id"], 1, embeddings_initializer="zeros", name="user_bias"
        )
        self.movie_bias = keras.layers.Embedding(
            self.vocab_sizes["movie_id"], 1, embeddings_initializer="zeros", name="movie_bias"
        )
        self.bottom_mlp = mlp((*self.bottom_layers, self.embedding_dim), name="bottom_mlp", final_activation="relu")
        self.rated = RatedMovies(self.vocab_sizes["user_id"], self.vocab_sizes["movie_id"], name="rated_movies")

    def residual(self, embedded: list[Any], training: bool) -> tuple[Any, dict[str, Any]]:
        """The network's (batch,) residual over the per-feature embeddings, and what it wants
        `score_parts` to return beside it (the DLRM's interactions)."""
        raise NotImplementedError

    def set_history(self, history: History | np.ndarray) -> None:
        """Store the training split's ratings (`FeatureSpace.history`, or the 0/1 matrix itself).

        The history is MovieLens data, not a learned weight: it is never saved with the
        model, so call this after loading (`scoring.prepare_loaded` does).
        """
        self.rated.assign(history)

    def feature_embeddings(self, inputs: dict[str, Any], training: bool = False) -> list[Any]:
        """One (batch, embedding_dim) tensor per feature, in `self.features` order."""
        return self._embed(inputs, training)[0]

    def _embed(self, inputs: dict[str, Any], training: bool) -> tuple[list[Any], Any]:
        """The feature embeddings and each example's mean squared norm of the table rows
        its rated-movies (and audience) features averaged."""
        user = ops.cast(inputs["user_id"], "int32")
        out = [self.embeddings[name](ops.cast(inputs[name], "int32")) for name in RATING_SPARSE_FEATURES[:6]]
        out.append(self.genre_projection(ops.cast(inputs["genres"], "float32")))
        vector, row_norm = self.rated.mean_rows(self.embeddings["user_history"].embeddings, user, by_user=True)
        out.append(vector)
        if "movie_audience" in self.embeddings:  # the same, from the movie's side
            movie = ops.cast(inputs["movie_id"], "int32")
            vector, audience_norm = self.rated.mean_rows(self.embeddings["movie_audience"].embeddings, movie, False)
            out.append(vector)
            row_norm = row_norm + audience_norm
        out.append(self.bottom_mlp(ops.cast(inputs["dense"], "float32"), training=training))
        return out, row_norm

    def build(self, input_shape: Any = None) -> None:
        """Create every weight by running the model once on an all-OOV batch."""
        self.call(dummy_rating_inputs(self.n_dense, self.vocab_sizes["genre"]))
        self.built = True

    def score_parts(self, inputs: dict[str, Any], training: bool = False) -> dict[str, Any]:
        """The additive parts of each prediction (batch,) plus the embeddings they came from.

        Keys: global_mean, user_bias, movie_bias, factorisation (0 without fm_path),
        top_mlp (the network's residual); `embedded` holds the per-feature embeddings, and
        the subclass may add more (the DLRM's `interactions`).
        """
        embedded, history_norm = self._embed(inputs, training)
        residual, extra = self.residual(embedded, training)
        user_bias = self.user_bias(ops.cast(inputs["user_id"], "int32"))[:, 0]
        movie_bias = self.movie_bias(ops.cast(inputs["movie_id"], "int32"))[:, 0]
        factorisation = ops.zeros_like(residual)
        if self.fm_path:
            # Fixed-weight factorisation-machine path: every user-side embedding
            # (id, rated movies, demographics) dotted with every movie-side one.
            user_vec = sum(embedded[i] for i in self._user_side)
            movie_vec = sum(embedded[i] for i in self._movie_side)
            factorisation = ops.sum(user_vec * movie_vec, axis=1)
        return {
            "global_mean": ops.full_like(residual, self.global_mean),
            "user_bias": user_bias,
            "movie_bias": movie_bias,
            "factorisation": factorisation,
            "top_mlp": residual,
            "embedded": embedded,
            "history_norm": history_norm,
            **extra,
        }

    def call(self, inputs: dict[str, Any], training: bool = False) -> Any:
        parts = self.score_parts(inputs, training)
        score = sum(parts[k] for k in SCORE_PARTS)
        if training and self.l2 > 0:
            penalty = sum(ops.sum(ops.square(e), axis=1) for e in parts["embedded"][:-1])
            penalty = penalty + ops.square(parts["user_bias"]) + ops.square(parts["movie_bias"])
            penalty = penalty + parts["history_norm"]  # the averaged rows themselves, not only their mean
            self.add_loss(self.l2 * ops.mean(penalty))
        return score[:, None]

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "model_config": self.model_config.to_dict(),
            "vocab_sizes": self.vocab_sizes,
            "n_dense": self.n_dense,
            "global_mean": self.global_mean,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RatingModel:
        """The inverse of `get_config`, also for models saved with flat constructor arguments."""
        return cls(**whole_config(cls.CONFIG, config))

    def start_biases(self, user_bias: np.ndarray, movie_bias: np.ndarray) -> None:
        """Set the user and movie bias tables (one value per vocabulary row) before training."""
        self.user_bias.embeddings.assign(np.asarray(user_bias, dtype=np.float32).reshape(-1, 1))
        self.movie_bias.embeddings.assign(np.asarray(movie_bias, dtype=np.float32).reshape(-1, 1))


def build_rating_model(
    model_class: type[RatingModel],
    config: RatingConfig,
    vocab_sizes: dict[str, int],
    global_mean: float = 3.5,
    n_dense: int = len(DENSE_FEATURES),
) -> RatingModel:
    """A built rating model of `model_class` for `config` (by default over the data's dense features)."""
    model = model_class(config, vocab_sizes, n_dense, global_mean)
    model(dummy_rating_inputs(n_dense, n_genres=vocab_sizes["genre"]))
    return model


def dummy_rating_inputs(n_dense: int, n_genres: int, batch: int = 2) -> dict[str, np.ndarray]:
    """A tiny all-OOV batch used to build the model's weights."""
    ints = {name: np.zeros((batch,), dtype=np.int32) for name in RATING_SPARSE_FEATURES[:6]}
    return {
        **ints,
        "genres": np.zeros((batch, n_genres), dtype=np.float32),
        "dense": np.zeros((batch, n_dense), dtype=np.float32),
    }


def rating_memory_bytes(config: RatingConfig, vocab_sizes: dict[str, int], train_rows: int, network: Any) -> int:
    """Training memory of a rating model whose network over the embeddings has the dense
    `network` stacks (each from its input width to its output width)."""
    bottom = (len(DENSE_FEATURES), *config.bottom_layers, config.embedding_dim)
    users, movies = vocab_sizes.get("user_id", 1), vocab_sizes.get("movie_id", 1)
    dense = not large_catalogue(users, movies)  # the int8 matrix and its float32 cast in each step
    lists = 0 if dense else (users + movies) * (HISTORY_CAP + 1)  # int32 index lists
    return memory.training_bytes(
        config, vocab_sizes, train_rows, [bottom, *network], extra_scores=lists, bytes_per_cell=5 if dense else 0
    )


def n_features(config: RatingConfig) -> int:
    """How many embeddings the network sees (the audience feature is a setting)."""
    return len(RATING_FEATURES) - (0 if config.movie_audience else 1)


# What every rating family's sweep explores (a family adds its network's settings): around the
# presets tuned on ML-100K, wide enough to move on another data set.
RATING_SPACE = {
    "learning_rate": LogUniform(1e-3, 3e-2),
    "embedding_dim": Choice((16, 32, 64)),
    "dropout": Uniform(0.0, 0.6),
    "l2": LogUniform(0.01, 0.5),
    "top_l2": LogUniform(1e-3, 0.1),
}
