"""SequentialConfig and the next-movie retrieval model: a GRU or SASRec-style causal
self-attention query tower over the last movies watched, the movie tower as candidates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from recexplore import families
from recexplore.config import memory
from recexplore.config.memory import EASE_MAX_ITEMS, TRANSITION_BYTES_PER_RATING
from recexplore.config.search import Choice, LogUniform, Uniform
from recexplore.config.settings import EMBEDDING_DIM, EPOCHS, LEARNING_RATE, Bound, ConfigDict, setting
from recexplore.data.splits import LAST_OUT, LAST_OUT_VALIDATION, TEMPORAL
from recexplore.models.common import embedding
from recexplore.models.towers import AccidentalHitRemoval

ENCODERS = ("gru", "sasrec")
USER_FEATURES = ("user_gender", "age_bucket", "user_occupation")


@dataclass(frozen=True)
class SequentialConfig(ConfigDict):
    """Hyperparameters of a next-movie model.

    Attributes:
        encoder: 'gru' (a GRU over the history, GRU4Rec-style) or 'sasrec' (causal
            self-attention blocks with learned positions).
        max_len: how many of the latest movies the query tower reads (older ones are dropped).
        embedding_dim: width of the movie embeddings and of every vector after them.
        blocks: self-attention blocks (sasrec).
        heads: attention heads per block (sasrec); must divide embedding_dim.
        dropout: dropout on the embeddings and inside the blocks.
        user_features: add the user's gender, age bucket and occupation to the query.
        temperature: softmax temperature.
        correction_exponent: logQ correction of the in-batch softmax (as the towers').
        learning_rate: peak AdamW learning rate (cosine-decayed).
        weight_decay: AdamW weight decay.
        batch_size: histories per batch; every position of each predicts the movie after it, and
            the batch's other positions are its negatives (batch x max_len of them).
        epochs: training epochs (each sees every position of every history once).
    """

    encoder: str = setting("sasrec", "history encoder", choices=ENCODERS)
    max_len: int = setting(50, "history length N (latest movies read)", Bound(0, 200, integer=True, open_low=True))
    embedding_dim: int = setting(64, "width of every embedding", EMBEDDING_DIM)
    blocks: int = setting(2, "self-attention blocks (sasrec)", Bound(1, 8, integer=True))
    heads: int = setting(1, "attention heads (sasrec)", Bound(1, 16, integer=True))
    dropout: float = setting(0.2, "dropout", Bound(0.0, 0.9))
    user_features: bool = setting(False, "add the user's gender, age and occupation to the query")
    temperature: float = setting(0.1, "softmax temperature", Bound(0.0, 100.0, open_low=True))
    correction_exponent: float = setting(1.0, "logQ correction exponent", Bound(0.0, 10.0))
    learning_rate: float = setting(5e-3, "peak AdamW learning rate", LEARNING_RATE)
    weight_decay: float = setting(0.01, "AdamW weight decay", Bound(0.0, 10.0))
    batch_size: int = setting(
        64,
        "histories per batch (each position of each is a training example)",
        Bound(0, 4096, integer=True, open_low=True),
    )
    epochs: int = setting(6, "training epochs", EPOCHS)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.embedding_dim % self.heads:
            raise ValueError(f"heads must divide embedding_dim ({self.embedding_dim}), got {self.heads}")


def _unit(x: Any) -> Any:
    """`x` scaled to unit length on its last axis: scores are cosines (over the temperature), so
    the residual stream's growth in a self-attention stack cannot saturate the softmax."""
    return x / ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=-1, keepdims=True), 1e-12))


@keras.saving.register_keras_serializable(package="recexplore")
class SelfAttentionBlock(keras.layers.Layer):
    """Pre-norm causal self-attention and a position-wise feed-forward layer, both residual."""

    def __init__(self, dim: int, heads: int, dropout: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dim, self.heads, self.dropout_rate = int(dim), int(heads), float(dropout)
        self.norm_attention = keras.layers.LayerNormalization(epsilon=1e-6, name="norm_attention")
        self.attention = keras.layers.MultiHeadAttention(
            self.heads, self.dim // self.heads, dropout=self.dropout_rate, name="attention"
        )
        self.norm_ffn = keras.layers.LayerNormalization(epsilon=1e-6, name="norm_ffn")
        self.ffn_in = keras.layers.Dense(self.dim, activation="relu", name="ffn_in")
        self.ffn_out = keras.layers.Dense(self.dim, name="ffn_out")
        self.drop = keras.layers.Dropout(self.dropout_rate)

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        self.norm_attention.build(shape)
        self.attention.build(shape, shape)
        self.norm_ffn.build(shape)
        self.ffn_in.build(shape)
        self.ffn_out.build(shape[:-1] + (self.dim,))
        self.built = True

    def call(self, x: Any, mask: Any, training: bool = False, return_scores: bool = False) -> Any:
        """`mask`: (batch, N, N) bool, True where a position may attend to another."""
        normed = self.norm_attention(x)
        out = self.attention(
            normed, normed, attention_mask=mask, training=training, return_attention_scores=return_scores
        )
        attended, scores = out if return_scores else (out, None)
        x = x + self.drop(attended, training=training)
        x = x + self.drop(self.ffn_out(self.ffn_in(self.norm_ffn(x))), training=training)
        return (x, scores) if return_scores else x

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dim": self.dim, "heads": self.heads, "dropout": self.dropout_rate}


@keras.saving.register_keras_serializable(package="recexplore")
class SequentialModel(keras.Model):
    """Next-movie retrieval: query = encoder(history [+ user features]), candidate = the movie's
    id embedding (shared with the history's) plus its genres, both unit length, scored by their
    dot product (a cosine) over the temperature; trained by in-batch softmax with logQ correction
    and accidental hits removed (as the towers)."""

    def __init__(self, model_config: SequentialConfig, vocab_sizes: dict[str, int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model_config = model_config
        self.vocab_sizes = dict(vocab_sizes)
        c, dim = model_config, model_config.embedding_dim
        self.movie_embedding = embedding(self.vocab_sizes["movie_id"], dim, "movie_embedding")
        self.genre_projection = keras.layers.Dense(dim, use_bias=False, name="genre_embedding")
        self.input_dropout = keras.layers.Dropout(c.dropout)
        if c.encoder == "gru":
            self.gru = keras.layers.GRU(dim, return_sequences=True, name="gru")
        else:
            self.position_embedding = embedding(c.max_len, dim, "position_embedding")
            self.attention_blocks = [
                SelfAttentionBlock(dim, c.heads, c.dropout, name=f"block_{i}") for i in range(c.blocks)
            ]
            self.final_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="final_norm")
        self.user_embeddings = (
            {f: embedding(self.vocab_sizes[f], dim, f"{f}_embedding") for f in USER_FEATURES} if c.user_features else {}
        )
        self.query_projection = keras.layers.Dense(dim, name="query_projection")
        self.hit_removal = AccidentalHitRemoval(name="remove_accidental_hits")

    def build(self, input_shape: Any = None) -> None:
        """Create every weight by running the model once on an all-padding batch."""
        self.call(dummy_inputs(self.model_config, self.vocab_sizes["genre"]))
        self.built = True

    # -- the two towers -------------------------------------------------------------------
    def encode_all(self, inputs: dict[str, Any], training: bool = False, return_scores: bool = False) -> Any:
        """Query vectors at every position of (batch, max_len) right-aligned histories (0: no
        movie): position t's vector reads the movies up to t and predicts the one after it."""
        history = ops.cast(inputs["history"], "int32")
        present = ops.not_equal(history, 0)
        x = self.input_dropout(self.movie_embedding(history), training=training)
        scores = None
        if self.model_config.encoder == "gru":
            states = self.gru(x, mask=present, training=training)
        else:
            n = self.model_config.max_len
            x = x + self.position_embedding(ops.arange(n))[None]
            causal = ops.tril(ops.ones((n, n), dtype="bool"))
            keys = ops.logical_or(present[:, None, :], ops.eye(n, dtype="bool")[None])  # padding attends to itself
            mask = ops.logical_and(causal[None], keys)
            for block in self.attention_blocks:
                out = block(x, mask, training=training, return_scores=return_scores)
                x, scores = out if return_scores else (out, scores)
            states = self.final_norm(x)
        if self.user_embeddings:
            user = sum(self.user_embeddings[f](ops.cast(inputs[f], "int32")) for f in USER_FEATURES)
            states = states + user[:, None, :]
        query = _unit(self.query_projection(states))
        return (query, scores) if return_scores else query

    def encode(self, inputs: dict[str, Any], training: bool = False) -> Any:
        """The query vector after each history's latest movie: what the next-movie list is scored by."""
        return self.encode_all(inputs, training=training)[:, -1]

    def candidates(self, inputs: dict[str, Any]) -> Any:
        """Candidate vectors of movies (`movie_id`, `genres`; any leading shape)."""
        movie = self.movie_embedding(ops.cast(inputs["movie_id"], "int32"))
        return _unit(movie + self.genre_projection(ops.cast(inputs["genres"], "float32")))

    def call(self, inputs: dict[str, Any], training: bool = False) -> Any:
        """(queries at every position, the candidate vectors of the movie after each position)."""
        return self.encode_all(inputs, training=training), self.candidates(inputs)

    def compute_loss(
        self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None, training: bool = True
    ) -> Any:
        """In-batch softmax over every position of every history in the batch: each position's
        next movie against the other positions' next movies (padding left out of both)."""
        query, candidate = y_pred
        dim = self.model_config.embedding_dim
        query, candidate = ops.reshape(query, (-1, dim)), ops.reshape(candidate, (-1, dim))
        ids = ops.reshape(ops.cast(x["movie_id"], "int32"), (-1,))
        real = ops.cast(ops.not_equal(ids, 0), "float32")
        logits = ops.matmul(query, ops.transpose(candidate)) / self.model_config.temperature
        labels = ops.eye(ops.shape(logits)[0], dtype="float32")
        logits = self.hit_removal(logits, labels, ids)
        probability = ops.maximum(ops.reshape(ops.cast(x["sampling_probability"], "float32"), (-1,)), 1e-9)
        logits = logits - self.model_config.correction_exponent * ops.log(probability)[None, :]
        logits = logits + (1.0 - real)[None, :] * -1e9  # a padding column is never a candidate
        losses = ops.logsumexp(logits, axis=1) - ops.diagonal(logits)
        return ops.sum(losses * real) / ops.maximum(ops.sum(real), 1.0)

    # -- serving ----------------------------------------------------------------------------
    def query_embeddings(self, features: dict[str, np.ndarray], batch_size: int = 2048) -> np.ndarray:
        """Query vectors for padded histories (and user features)."""
        n = len(features["history"])
        parts = [
            keras.ops.convert_to_numpy(self.encode({k: v[i : i + batch_size] for k, v in features.items()}))
            for i in range(0, n, batch_size)
        ]
        return np.concatenate(parts, axis=0).astype(np.float32)

    def candidate_embeddings(self, features: dict[str, np.ndarray]) -> np.ndarray:
        """Candidate vectors for movie features (`movie_id`, `genres`)."""
        return keras.ops.convert_to_numpy(self.candidates(features)).astype(np.float32)

    def attention_weights(self, features: dict[str, np.ndarray]) -> np.ndarray | None:
        """(batch, max_len) attention of the latest position over the history in the last block,
        averaged over heads (None for a GRU)."""
        if self.model_config.encoder != "sasrec":
            return None
        _, scores = self.encode_all(features, return_scores=True)
        return keras.ops.convert_to_numpy(ops.mean(scores, axis=1)[:, -1, :])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "model_config": self.model_config.to_dict(), "vocab_sizes": self.vocab_sizes}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SequentialModel:
        """The inverse of `get_config`."""
        config = dict(config)
        return cls(SequentialConfig.from_saved(config.pop("model_config")), **config)


def dummy_inputs(config: SequentialConfig, n_genres: int, batch: int = 2) -> dict[str, np.ndarray]:
    """An all-padding batch that builds every weight."""
    out = {
        "history": np.zeros((batch, config.max_len), dtype=np.int32),
        "movie_id": np.zeros((batch, config.max_len), dtype=np.int32),
        "genres": np.zeros((batch, config.max_len, n_genres), dtype=np.float32),
    }
    out.update({f: np.zeros((batch,), dtype=np.int32) for f in USER_FEATURES})
    return out


def build_sequential(config: SequentialConfig, vocab_sizes: dict[str, int]) -> SequentialModel:
    """A built next-movie model for `config`."""
    model = SequentialModel(config, vocab_sizes)
    model(dummy_inputs(config, vocab_sizes["genre"]))
    return model


def _memory_bytes(config: SequentialConfig, vocab_sizes: dict[str, int], train_rows: int) -> int:
    """The query stack over max_len positions, the in-batch logits and the attention maps; the
    evaluation's score batches and sparse matrices (`memory.ranking_bytes`), the transition
    peer's sparse counts and the EASE peer's items x items fit (at most EASE_MAX_ITEMS movies)."""
    dim, n = config.embedding_dim, config.max_len
    positions = memory.batch_rows(config, train_rows) * n
    attention = positions * n * config.heads * config.blocks if config.encoder == "sasrec" else 0
    stacks = [(dim, dim)] * (config.blocks if config.encoder == "sasrec" else 1)
    extra = positions * positions * memory.IN_BATCH_COPIES + positions * dim * 8 + attention
    ease = min(vocab_sizes.get("movie_id", 1), EASE_MAX_ITEMS) ** 2 * memory.EASE_COPIES
    needed = memory.training_bytes(config, vocab_sizes, train_rows, stacks, extra, ease, bytes_per_cell=0)
    return needed + memory.ranking_bytes(vocab_sizes, train_rows) + TRANSITION_BYTES_PER_RATING * int(train_rows)


def _label(config: SequentialConfig) -> str:
    return f"next movie {config.encoder}, last {config.max_len}, dim {config.embedding_dim}, {config.epochs} epochs"


# Chosen on the validation targets only (`last-out-val`, bench/sequential_tune.py: temperature
# 0.05 / 0.1 x learning rate 0.002 / 0.005, 8 epochs): both best at 0.1 and 0.005, SASRec after 6
# epochs (0.1888 next hit rate@10), the GRU after 7 (0.2248).
PRESETS: dict[str, dict[str, Any]] = {"sasrec": {"encoder": "sasrec"}, "gru": {"encoder": "gru", "epochs": 7}}

FAMILY = families.ModelFamily(
    name="sequential",
    title="Next movie (sequential)",
    description="next-movie retrieval: a GRU or SASRec-style self-attention over the latest movies watched",
    task=families.NEXT_ITEM,
    config=SequentialConfig,
    model_class=SequentialModel,
    build=lambda config, vocab_sizes, global_mean=0.0: build_sequential(config, vocab_sizes),
    presets=PRESETS,
    pretrained={"sequential-default": "sasrec", "sequential-gru": "gru"},
    views=frozenset({families.CURVES, families.ARCHITECTURE, families.NEXT_MOVIE}),
    memory_bytes=_memory_bytes,
    architecture_note="the query is the encoder's state after the latest movie; `BruteForceRetrieval` over every "
    "movie's candidate vector returns the next-movie list",
    label=_label,
    options=("encoder", "max_len", "blocks", "heads", "dropout", "user_features"),
    space={
        "encoder": Choice(ENCODERS),
        "learning_rate": LogUniform(1e-3, 2e-2),
        "embedding_dim": Choice((32, 64)),
        "dropout": Uniform(0.0, 0.5),
        "temperature": LogUniform(0.05, 0.5),
        "max_len": Choice((20, 50, 100)),
    },
    splits=(LAST_OUT, LAST_OUT_VALIDATION, TEMPORAL),
)
