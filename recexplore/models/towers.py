"""TowerConfig, query/candidate towers and the two-tower retrieval model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import keras
import keras_rs
import numpy as np
from keras import ops

from recexplore import families
from recexplore.config import memory
from recexplore.config.memory import EASE_MAX_ITEMS, HISTORY_CAP, large_catalogue
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
from recexplore.data.features import MAX_TITLE_TOKENS
from recexplore.models.common import RatedMovies, embedding, mlp
from recexplore.models.ease import TEACHER_MASKED

OBJECTIVES = ("softmax", "rating_mse")
HISTORY_POOLING = ("off", "mean", "attention")  # TowerConfig.user_history
QUERY_FEATURES = ("user_id", "user_gender", "age_bucket", "gender_x_age", "user_occupation")
CANDIDATE_FEATURES = ("movie_id", "title_tokens", "genres")
_NEG = -1e9  # logit given to accidental hits
# Distillation (TowerConfig.distill_weight): EASE's L2 penalty, the issue's and the peers'
# lambda (the validation-chosen one moves with the slice, the teacher need not), and which
# part of a batch the teacher ranks: its first 256 users x first 512 movies scored 0.1528 /
# 0.6047 on the validation slices against 0.1539 / 0.6040 for all 1024 x 1024, at about a
# fifth of the extra time per step (no XLA here: op determinism turns it off).
TEACHER_LAMBDA = 300.0
TEACHER_CANDIDATES = 512
TEACHER_QUERIES = 256


def teacher_fits(vocab_sizes: dict[str, int]) -> bool:
    """Whether the EASE teacher's users x movies float32 logits are small enough to distil from:
    not on a large catalogue (`config.memory.large_catalogue`), where training goes without it and the
    result says so."""
    return not large_catalogue(vocab_sizes.get("user_id", 1), vocab_sizes.get("movie_id", 1))


@dataclass(frozen=True)
class TowerConfig(ConfigDict):
    """Hyperparameters of a two-tower retrieval model.

    Attributes:
        layers: dense widths of each tower (ReLU on all but the last).
        embedding_dim: width of every feature embedding.
        objective: 'softmax' (in-batch sampled softmax with logQ correction and
            accidental-hit removal) or 'rating_mse' (the tutorials' rating regression).
        temperature: softmax temperature (logits are divided by it).
        correction_exponent: the logQ correction subtracts this multiple of
            log(sampling probability); above 1 it leaves some popularity in the
            scores, which raises hit rates on MovieLens.
        learning_rate: peak AdamW learning rate (cosine-decayed to 0 over training).
        weight_decay: AdamW decoupled weight decay.
        batch_size: training batch size (also the number of in-batch negatives).
        epochs: training epochs.
        distill_weight: weight of the second loss term, in which the towers learn EASE's
            ranking of the movies a user has not rated (distillation; 0 turns it off).
            EASE is fitted on the training part only, with lambda TEACHER_LAMBDA.
        distill_temperature: EASE's scores are divided by it before the softmax.
        user_history: whether the query tower also reads the movies the user rated in the training
            part, pooled by their mean ('mean') or by attention from the user's other features
            ('attention', over their latest HISTORY_CAP), as YouTube's candidate generation and the
            DLRM's rated-movies feature do;
            'off' reads the user's id and demographics only. While training, each pair's own movie
            is left out of its user's pooled history; the held-out movies are never in it.
    """

    layers: tuple[int, ...] = setting((32,), "tower widths", layers="one or more")
    embedding_dim: int = setting(48, "width of every embedding", EMBEDDING_DIM)
    objective: str = setting("softmax", "training objective", choices=OBJECTIVES)
    temperature: float = setting(0.2, "softmax temperature", Bound(0.0, 100.0, open_low=True))
    correction_exponent: float = setting(1.25, "logQ correction exponent", Bound(0.0, 10.0, open_low=True))
    learning_rate: float = setting(9e-3, "peak AdamW learning rate", LEARNING_RATE)
    weight_decay: float = setting(0.3, "AdamW weight decay", Bound(0.0, 10.0))
    batch_size: int = setting(1024, "batch size (and in-batch negatives)", BATCH_SIZE)
    epochs: int = setting(5, "training epochs", EPOCHS)
    distill_weight: float = setting(
        1.0,
        "EASE teacher weight (0: off)",
        Bound(0.0, 10.0),
        explain="A second loss term in which the towers learn how EASE, fitted on the training part only, "
        "ranks the movies each user has not rated (distillation). 0 trains the towers on the ratings "
        "alone; compare the two on the Runs page.",
    )
    distill_temperature: float = setting(0.2, "EASE-teacher temperature", Bound(0.0, 100.0, open_low=True))
    user_history: str = setting(
        "off",
        "the user's rated movies in the query tower",
        choices=HISTORY_POOLING,
        explain="The query tower also reads the movies the user rated in the training part, averaged ('mean') "
        f"or weighted by attention from the user's other features over their latest {HISTORY_CAP} ('attention'). "
        "Each training pair's own "
        "movie is left out of its user's history, and the held-out movies are never in it.",
    )

    # Saves from before distillation were trained without it.
    SAVED_BEFORE: ClassVar[dict[str, Any]] = {"distill_weight": 0.0}


class _Tower(keras.layers.Layer):
    """Shared constructor arguments and config of the two towers."""

    def __init__(
        self, vocab_sizes: dict[str, int], embedding_dim: int, layers: tuple[int, ...] | list[int], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.vocab_sizes = dict(vocab_sizes)
        self.embedding_dim = int(embedding_dim)
        self.layer_sizes = tuple(int(x) for x in layers)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"vocab_sizes": self.vocab_sizes, "embedding_dim": self.embedding_dim, "layers": list(self.layer_sizes)}
        )
        return config


@keras.saving.register_keras_serializable(package="recexplore")
class QueryTower(_Tower):
    """User id, gender, age bucket, gender x age cross and occupation (and, with `history`, the
    movies the user rated, pooled) -> query vector."""

    def __init__(
        self,
        vocab_sizes: dict[str, int],
        embedding_dim: int,
        layers: tuple[int, ...] | list[int],
        history: str = "off",
        **kwargs: Any,
    ) -> None:
        super().__init__(vocab_sizes, embedding_dim, layers, **kwargs)
        self.history = history
        self.embeddings = {
            f: embedding(self.vocab_sizes[f], self.embedding_dim, f"{f}_embedding") for f in QUERY_FEATURES
        }
        if history != "off":
            users, movies = self.vocab_sizes["user_id"], self.vocab_sizes["movie_id"]
            # attention reads each user's latest HISTORY_CAP movies on any catalogue: its logits over
            # the whole catalogue cost six times the mean's training time at 10,000 movies
            self.rated = RatedMovies(users, movies, latest_only=history == "attention", name="rated_movies")
            self.history_embedding = embedding(movies, self.embedding_dim, "history_embedding")
        if history == "attention":
            self.attention_query = keras.layers.Dense(self.embedding_dim, use_bias=False, name="history_attention")
        self.dense = mlp(self.layer_sizes, name="query_mlp")

    @property
    def inputs_width(self) -> int:
        """The width the query MLP reads: every feature's embedding, and the pooled history."""
        return (len(QUERY_FEATURES) + (self.history != "off")) * self.embedding_dim

    def build(self, input_shape: Any = None) -> None:
        """Create every weight eagerly (Keras would otherwise trace `call` in a stateless scope,
        whose deferred variable initialisation is not safe while another thread also builds)."""
        for layer in self.embeddings.values():
            layer.build((None,))
        if self.history != "off":
            self.history_embedding.build((None,))
        if self.history == "attention":
            self.attention_query.build((None, len(QUERY_FEATURES) * self.embedding_dim))
        self.dense.build((None, self.inputs_width))
        self.built = True

    def call(self, inputs: dict[str, Any]) -> Any:
        parts = [self.embeddings[f](ops.cast(inputs[f], "int32")) for f in QUERY_FEATURES]
        if self.history != "off":
            parts.append(self._pooled_history(inputs, ops.concatenate(parts, axis=1)))
        return self.dense(ops.concatenate(parts, axis=1))

    def _pooled_history(self, inputs: dict[str, Any], features: Any) -> Any:
        """The mean (or attention-weighted mean) of the history embeddings of the movies each user
        rated, less `inputs['history_exclude']` (a training pair's own movie) when given."""
        exclude = inputs.get("history_exclude")
        exclude = None if exclude is None else ops.cast(exclude, "int32")
        ids, mask = self.rated.user_rows(ops.cast(inputs["user_id"], "int32"), exclude)
        table = self.history_embedding.embeddings
        rows = table if ids is None else ops.take(table, ids, axis=0)  # (movies, dim) or (batch, cap, dim)
        weights = mask
        if self.history == "attention":
            query = self.attention_query(features) / float(np.sqrt(self.embedding_dim))
            logits = ops.matmul(query, ops.transpose(rows)) if ids is None else ops.einsum("bcd,bd->bc", rows, query)
            top = ops.max(ops.where(mask > 0, logits, _NEG), axis=1, keepdims=True)
            weights = ops.exp(ops.minimum(logits - top, 0.0)) * mask  # no overflow where masked out
        weights = weights / ops.maximum(ops.sum(weights, axis=1, keepdims=True), 1e-9)  # no movie: zeros
        return ops.matmul(weights, rows) if ids is None else ops.einsum("bc,bcd->bd", weights, rows)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "history": self.history}


@keras.saving.register_keras_serializable(package="recexplore")
class CandidateTower(_Tower):
    """Movie id, title tokens (masked mean) and genres (multi-hot) -> candidate vector."""

    def __init__(
        self, vocab_sizes: dict[str, int], embedding_dim: int, layers: tuple[int, ...] | list[int], **kwargs: Any
    ) -> None:
        super().__init__(vocab_sizes, embedding_dim, layers, **kwargs)
        self.movie_embedding = embedding(self.vocab_sizes["movie_id"], self.embedding_dim, "movie_id_embedding")
        self.token_embedding = embedding(self.vocab_sizes["title_token"], self.embedding_dim, "title_embedding")
        self.genre_projection = keras.layers.Dense(self.embedding_dim, use_bias=False, name="genre_embedding")
        self.dense = mlp(self.layer_sizes, name="candidate_mlp")

    def build(self, input_shape: Any = None) -> None:
        """Create every weight eagerly (see `QueryTower.build`)."""
        self.movie_embedding.build((None,))
        self.token_embedding.build((None, MAX_TITLE_TOKENS))
        self.genre_projection.build((None, self.vocab_sizes["genre"]))
        self.dense.build((None, 3 * self.embedding_dim))
        self.built = True

    def call(self, inputs: dict[str, Any]) -> Any:
        tokens = ops.cast(inputs["title_tokens"], "int32")
        mask = ops.cast(ops.not_equal(tokens, 0), "float32")[..., None]
        title = ops.sum(self.token_embedding(tokens) * mask, axis=1) / ops.maximum(ops.sum(mask, axis=1), 1.0)
        parts = [
            self.movie_embedding(ops.cast(inputs["movie_id"], "int32")),
            title,
            self.genre_projection(ops.cast(inputs["genres"], "float32")),
        ]
        return self.dense(ops.concatenate(parts, axis=1))


@keras.saving.register_keras_serializable(package="recexplore")
class AccidentalHitRemoval(keras_rs.layers.RemoveAccidentalHits):
    """keras-rs RemoveAccidentalHits with a logit low enough to take effect.

    keras-rs 0.4.0 adds `smallest_normal / 100` (about 1e-40) to the duplicate logits,
    which leaves them unchanged; TFRS's original subtracts a huge number. This layer keeps
    the keras-rs interface and masks the duplicates itself; it no longer runs the keras-rs
    computation first, which changed nothing and cost four batch x batch passes per step
    (about a fifth of a tower's training step).
    """

    def call(self, logits: Any, labels: Any, candidate_ids: Any) -> Any:
        positive = ops.take(candidate_ids, ops.argmax(labels, axis=-1))
        duplicate = ops.cast(ops.equal(positive[:, None], candidate_ids[None, :]), logits.dtype) - labels
        return logits + duplicate * _NEG


@keras.saving.register_keras_serializable(package="recexplore")
class TwoTowerModel(keras.Model):
    """Query and candidate towers scored by dot product.

    Inputs are one dict with the query and candidate features of a (user, movie)
    pair; `call` returns the pair's score. Training uses `compute_loss`, which for
    the softmax objective scores every query against every candidate in the batch.
    """

    def __init__(self, model_config: TowerConfig, vocab_sizes: dict[str, int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model_config = model_config  # the only source of the settings below
        self.vocab_sizes = dict(vocab_sizes)
        self.embedding_dim = model_config.embedding_dim
        self.layer_sizes = model_config.layers
        self.objective = model_config.objective
        self.temperature = model_config.temperature
        self.correction_exponent = model_config.correction_exponent
        self.distill_weight = model_config.distill_weight
        self.teacher: np.ndarray | None = None  # (users, movies) logits while training (`set_teacher`)
        self.query_tower = QueryTower(
            self.vocab_sizes, self.embedding_dim, self.layer_sizes, model_config.user_history, name="query_tower"
        )
        self.candidate_tower = CandidateTower(
            self.vocab_sizes, self.embedding_dim, self.layer_sizes, name="candidate_tower"
        )
        self.hit_removal = AccidentalHitRemoval(name="remove_accidental_hits")
        self.sampling_correction = keras_rs.layers.SamplingProbabilityCorrection(name="sampling_correction")

    def build(self, input_shape: Any = None) -> None:
        """Create every weight by running both towers once on an all-OOV batch."""
        self.call(dummy_tower_inputs(self.vocab_sizes["genre"]))
        self.built = True

    @property
    def reads_history(self) -> bool:
        """Whether the query tower reads the training part's history (`set_history` after loading)."""
        return self.model_config.user_history != "off"

    def set_history(self, history: Any) -> None:
        """Store who rated what in the training part (`FeatureSpace.history`) for the query tower; it is
        data, never saved, so call this after loading (`scoring.prepare_loaded` does)."""
        if self.reads_history:
            self.query_tower.rated.assign(history)

    def call(self, inputs: dict[str, Any], training: bool = False) -> Any:
        query_inputs = {f: inputs[f] for f in QUERY_FEATURES}
        if training and self.reads_history:  # a pair's own movie never explains itself
            query_inputs["history_exclude"] = inputs["movie_id"]
        query = self.query_tower(query_inputs)
        candidate = self.candidate_tower({f: inputs[f] for f in CANDIDATE_FEATURES})
        return query, candidate

    def compute_loss(
        self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None, training: bool = True
    ) -> Any:
        query, candidate = y_pred
        if self.objective == "rating_mse":
            score = ops.sum(query * candidate, axis=1)
            return ops.mean(ops.square(score - ops.cast(y, "float32")))
        logits = ops.matmul(query, ops.transpose(candidate)) / self.temperature
        labels = ops.eye(ops.shape(logits)[0], dtype="float32")
        logits = self.hit_removal(logits, labels, ops.cast(x["movie_id"], "int32"))
        # (1, batch) probabilities broadcast over the rows: no (batch, batch) log.
        probability = ops.power(ops.cast(x["sampling_probability"], "float32")[None, :], self.correction_exponent)
        logits = self.sampling_correction(logits, probability)
        # Softmax cross-entropy with the diagonal as the positives.
        loss = ops.mean(ops.logsumexp(logits, axis=1) - ops.diagonal(logits))
        if self.teacher is None or not self.distill_weight:
            return loss
        return loss + self.distill_weight * self.distillation_loss(x, query, candidate)

    def set_teacher(self, logits: np.ndarray | None) -> None:
        """The (users, movies) teacher logits (`ease.teacher_logits`) to distil while training;
        None after training (they are not part of the model and never saved)."""
        self.teacher = None if logits is None else np.ascontiguousarray(logits, dtype=np.float32)

    def distillation_loss(self, x: Any, query: Any, candidate: Any) -> Any:
        """Cross-entropy from the teacher's softmax over the first TEACHER_CANDIDATES movies of
        the batch to the towers' softmax over the same movies, for the first TEACHER_QUERIES
        users of the batch, both without the movies the user rated in training (where the
        evaluation never ranks). The scores are recomputed for those rows and columns: the
        gradient of a slice of the whole batch's would cost two batch x batch passes."""
        query, candidate = query[:TEACHER_QUERIES], candidate[:TEACHER_CANDIDATES]
        movies = ops.cast(x["movie_id"], "int32")[:TEACHER_CANDIDATES]
        users = ops.cast(x["user_id"], "int32")[:TEACHER_QUERIES]
        flat = ops.convert_to_tensor(self.teacher.reshape(-1))  # one gather of (user, movie) pairs
        teacher = ops.take(flat, users[:, None] * self.teacher.shape[1] + movies[None, :])
        target = ops.stop_gradient(ops.softmax(teacher, axis=1))
        scores = ops.matmul(query, ops.transpose(candidate)) / self.temperature
        logits = ops.where(teacher <= TEACHER_MASKED, _NEG, scores)
        return ops.mean(ops.logsumexp(logits, axis=1) - ops.sum(target * logits, axis=1))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "model_config": self.model_config.to_dict(), "vocab_sizes": self.vocab_sizes}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TwoTowerModel:
        """The inverse of `get_config`, also for models saved with flat constructor arguments."""
        return cls(**whole_config(TowerConfig, config))

    def query_embeddings(self, features: dict[str, np.ndarray], batch_size: int = 8192) -> np.ndarray:
        """Query vectors for encoded query features (with the history, fewer users at a time: each
        holds a row over the whole catalogue, `config.memory.POOL_BATCH_CELLS` in all)."""
        if self.reads_history and self.query_tower.rated.dense:
            batch_size = max(1, min(batch_size, memory.POOL_BATCH_CELLS // self.vocab_sizes["movie_id"]))
        return _batched(self.query_tower, features, batch_size)

    def candidate_embeddings(self, features: dict[str, np.ndarray], batch_size: int = 8192) -> np.ndarray:
        """Candidate vectors for encoded candidate features."""
        return _batched(self.candidate_tower, features, batch_size)


def _batched(layer: keras.layers.Layer, features: dict[str, np.ndarray], batch_size: int) -> np.ndarray:
    n = len(next(iter(features.values())))
    chunks = [
        keras.ops.convert_to_numpy(layer({k: v[i : i + batch_size] for k, v in features.items()}))
        for i in range(0, n, batch_size)
    ]
    return np.concatenate(chunks, axis=0).astype(np.float32)


def build_towers(config: TowerConfig, vocab_sizes: dict[str, int]) -> TwoTowerModel:
    """A built two-tower model for `config`."""
    model = TwoTowerModel(config, vocab_sizes)
    model(dummy_tower_inputs(vocab_sizes["genre"]))
    return model


def dummy_tower_inputs(n_genres: int, batch: int = 2) -> dict[str, np.ndarray]:
    """A tiny all-OOV batch used to build the towers' weights."""
    out = {f: np.zeros((batch,), dtype=np.int32) for f in (*QUERY_FEATURES, "movie_id")}
    out["title_tokens"] = np.zeros((batch, MAX_TITLE_TOKENS), dtype=np.int32)
    out["genres"] = np.zeros((batch, n_genres), dtype=np.float32)
    return out


def make_retrieval(candidate_embeddings: np.ndarray, candidate_ids: np.ndarray, k: int) -> Any:
    """A keras-rs BruteForceRetrieval index over candidate vectors (rebuilt after loading)."""
    return keras_rs.layers.BruteForceRetrieval(
        candidate_embeddings=keras.ops.convert_to_tensor(candidate_embeddings),
        candidate_ids=keras.ops.convert_to_tensor(np.asarray(candidate_ids, dtype=np.int32)),
        k=int(k),
        return_scores=True,
    )


# The comparison presets: tower widths, and how each depth trains where it differs from
# TowerConfig's defaults, chosen per depth on validation slices of the fold training parts
# (bench/tune.py): deeper towers want a lower learning rate and more epochs. Without it Compare
# would rank the depths by one depth's tuning.
TOWER_PRESETS: dict[str, tuple[int, ...]] = {"1-layer": (32,), "2-layer": (64, 32), "3-layer": (128, 64, 32)}
PRESET_TRAINING: dict[str, dict[str, Any]] = {
    "2-layer": {"learning_rate": 5e-3},
    "3-layer": {"learning_rate": 5e-3, "epochs": 7},
}
# The order the three are queued in: the deepest (longest) first, so on two cores the other two
# train one after the other beside it, and the three take as long as two 5-epoch jobs.
SUBMIT_ORDER: tuple[str, ...] = tuple(reversed(TOWER_PRESETS))
PRESET_ENTRIES: dict[str, str] = {preset: f"towers-{preset}" for preset in TOWER_PRESETS}


def preset_settings(preset: str) -> dict[str, Any]:
    """A tower preset's TowerConfig settings: its layers and how that depth trains."""
    return FAMILY.preset_settings(preset)


def preset_of(layers: tuple[int, ...]) -> str | None:
    """The preset with these layer widths, if any."""
    return next((p for p, widths in TOWER_PRESETS.items() if widths == tuple(layers)), None)


def _preset_of_settings(settings: Any) -> str | None:
    layers = settings.get("layers")
    return preset_of(layers) if layers is not None else None


def _memory_bytes(config: TowerConfig, vocab_sizes: dict[str, int], train_rows: int) -> int:
    """Both towers' dense stacks, the in-batch softmax's batch x batch logits and the EASE teacher."""
    dim = config.embedding_dim
    history = config.user_history != "off"
    query_inputs = len(QUERY_FEATURES) + history
    stacks = [(inputs * dim, *config.layers) for inputs in (query_inputs, len(CANDIDATE_FEATURES))]
    batch = memory.batch_rows(config, train_rows)
    users, movies = vocab_sizes.get("user_id", 1), vocab_sizes.get("movie_id", 1)
    dense_history = config.user_history == "mean" and not large_catalogue(users, movies)
    extra_activations = extra_scores = 0
    if history:  # the rated-movies store, and each batch's masks, logits and weights over it
        width = movies if dense_history else HISTORY_CAP
        extra_activations += batch * width * memory.ACTIVATION_COPIES
        extra_scores += 0 if dense_history else (users + movies) * (HISTORY_CAP + 1)
    if config.objective == "softmax":
        extra_activations = batch * batch * memory.IN_BATCH_COPIES
        if config.distill_weight > 0 and teacher_fits(vocab_sizes):  # EASE teacher: logits, items x items solve
            extra_scores += users * movies + min(movies, EASE_MAX_ITEMS) ** 2 * memory.EASE_COPIES
    needed = memory.training_bytes(
        config, vocab_sizes, train_rows, stacks, extra_activations, extra_scores, bytes_per_cell=int(dense_history)
    )
    return needed + memory.ranking_bytes(vocab_sizes, train_rows)


def _label(config: TowerConfig) -> str:
    shape = preset_of(config.layers) or "layers " + ",".join(str(w) for w in config.layers)
    history = "" if config.user_history == "off" else f", history {config.user_history}"
    return f"two-tower {shape}, dim {config.embedding_dim}{history}, {config.epochs} epochs"


FAMILY = families.ModelFamily(
    name="towers",
    title="Two-tower (retrieval)",
    description="two-tower retrieval model: query and movie towers, top-k by keras-rs BruteForceRetrieval",
    task=families.RETRIEVAL,
    config=TowerConfig,
    model_class=TwoTowerModel,
    build=lambda config, vocab_sizes, global_mean=0.0: build_towers(config, vocab_sizes),
    presets={p: {"layers": widths, **PRESET_TRAINING.get(p, {})} for p, widths in TOWER_PRESETS.items()},
    pretrained={entry: preset for preset, entry in PRESET_ENTRIES.items()},
    views=frozenset(
        {families.CURVES, families.ARCHITECTURE, families.RECOMMEND, families.MOVIE_MAP, families.RETRIEVAL_INDEX}
    ),
    memory_bytes=_memory_bytes,
    architecture_note="`BruteForceRetrieval` is built after training from every movie's candidate-tower vector "
    "and returns the top k for a query vector",
    label=_label,
    options=("layers", "objective", "temperature", "distill_weight", "user_history"),
    space={
        "learning_rate": LogUniform(2e-3, 3e-2),
        "embedding_dim": Choice((32, 48, 64)),
        "layers": Choice(((32,), (64, 32), (128, 64, 32))),
        "temperature": LogUniform(0.05, 1.0),
        "weight_decay": LogUniform(0.01, 1.0),
        "distill_weight": Uniform(0.0, 2.0),
        "correction_exponent": Uniform(0.5, 1.5),
        "user_history": Choice(HISTORY_POOLING),
    },
    preset_of=_preset_of_settings,
    submit_order=SUBMIT_ORDER,
)
