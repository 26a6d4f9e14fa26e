"""The DCN family: Deep & Cross Network (DCN-V2) rating models built on keras_rs.layers.FeatureCross,
full rank or low rank, and the same deep part with no cross layers (the DNN control)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import keras_rs
import numpy as np
from keras import ops

from recexplore import families
from recexplore.config.search import Choice, IntRange
from recexplore.config.settings import MAX_LAYERS, Bound, setting
from recexplore.models.common import mlp
from recexplore.models.rating import (
    RATING_SPACE,
    RatingConfig,
    RatingModel,
    build_rating_model,
    n_features,
    rating_memory_bytes,
)

STRUCTURES = ("stacked", "parallel")


@dataclass(frozen=True)
class DCNConfig(RatingConfig):
    """Hyperparameters of a DCN rating model: RatingConfig's, and

    Attributes:
        cross_layers: how many FeatureCross layers (0: no cross network, the DNN control).
        projection_dim: rank of each cross layer's weight matrix, W = U V with U of
            (inputs x projection_dim); 0 is full rank (one inputs x inputs matrix).
        deep_layers: widths of the deep part (ReLU on each).
        structure: 'stacked' (the deep part reads the cross network's output) or 'parallel'
            (both read the embeddings and their outputs are concatenated), as in DCN-V2.
        cross_l2: L2 penalty on the cross layers' kernels and the output unit (`top_l2` is the
            deep part's).
    """

    cross_layers: int = setting(2, "FeatureCross layers (0: none, the DNN control)", Bound(0, MAX_LAYERS, integer=True))
    projection_dim: int = setting(0, "low-rank projection of each cross layer (0: full rank)", Bound(0, 1024, True))
    deep_layers: tuple[int, ...] = setting((64, 32), "deep part widths", layers="any")
    structure: str = setting("stacked", "how the cross and deep parts are joined", choices=STRUCTURES)
    cross_l2: float = setting(0.01, "L2 on the cross layers' kernels and the output unit", Bound(0.0, 1.0))


@keras.saving.register_keras_serializable(package="recexplore")
class DCN(RatingModel):
    """DCN-V2 over the concatenated feature embeddings x0: cross layers
    x_{l+1} = x0 * (W x_l + b) + x_l (keras-rs FeatureCross), a deep MLP, then one output,
    read as the residual beside the biases and the factorisation path (see RatingModel)."""

    CONFIG = DCNConfig
    RESIDUAL_LABEL = "cross network + deep part"

    def __init__(self, model_config: DCNConfig, *args: Any, **kwargs: Any) -> None:
        super().__init__(model_config, *args, **kwargs)
        self.structure = model_config.structure
        rank = model_config.projection_dim or None
        reg = keras.regularizers.L2(model_config.cross_l2) if model_config.cross_l2 else None
        self.cross = [
            keras_rs.layers.FeatureCross(projection_dim=rank, kernel_regularizer=reg, name=f"feature_cross_{i}")
            for i in range(model_config.cross_layers)
        ]
        self.deep = mlp(
            model_config.deep_layers, name="deep", dropout=self.dropout, final_activation="relu", kernel_l2=self.top_l2
        )
        self.head = keras.layers.Dense(1, kernel_regularizer=reg, name="head")

    def residual(self, embedded: list[Any], training: bool) -> tuple[Any, dict[str, Any]]:
        x0 = ops.concatenate(embedded, axis=1)
        crossed = x0
        for layer in self.cross:
            crossed = layer(x0, crossed)
        if self.structure == "parallel":
            joined = ops.concatenate([crossed, self._deep(x0, training)], axis=1)
        else:
            joined = self._deep(crossed, training)
        return self.head(joined)[:, 0], {}

    def _deep(self, x: Any, training: bool) -> Any:
        return self.deep(x, training=training) if self.model_config.deep_layers else x

    def cross_matrix(self) -> np.ndarray | None:
        """The first cross layer's weight matrix W (inputs x inputs, W = U V when low rank),
        oriented as x_next = x0 * (W x + b) + x, or None without cross layers."""
        return cross_layer_matrix(self.cross[0]) if self.cross else None


def cross_layer_matrix(layer: keras_rs.layers.FeatureCross) -> np.ndarray:
    """A FeatureCross layer's weight matrix W (inputs x inputs, W = U V when low rank), oriented as
    x_next = x0 * (W x + b) + x: row i, column j weighs input j in the term that multiplies x0_i."""
    kernel = ops.convert_to_numpy(layer.dense.kernel)  # (rank or inputs) x inputs
    if layer.projection_dim is not None:
        kernel = ops.convert_to_numpy(layer.down_proj_dense.kernel) @ kernel
    return np.asarray(kernel, dtype=np.float64).T


def block_norms(weights: np.ndarray, n_features: int, dim: int) -> np.ndarray:
    """The Frobenius norm of each feature-pair block of a cross matrix over `n_features` inputs of
    `dim` numbers each, shape (n_features, n_features), as in the DCN-V2 paper's figure (with
    dim 1, the absolute weights themselves)."""
    blocks = np.asarray(weights, dtype=np.float64).reshape(n_features, dim, n_features, dim)
    return np.sqrt(np.square(blocks).sum(axis=(1, 3)))


def build_dcn(config: DCNConfig, vocab_sizes: dict[str, int], global_mean: float = 3.5) -> DCN:
    """A built DCN for `config`."""
    return build_rating_model(DCN, config, vocab_sizes, global_mean)


def _memory_bytes(config: DCNConfig, vocab_sizes: dict[str, int], train_rows: int) -> int:
    width = n_features(config) * config.embedding_dim
    rank = config.projection_dim
    cross = [(width, rank, width) if rank else (width, width) for _ in range(config.cross_layers)]
    deep = (width, *config.deep_layers)
    head = (deep[-1] + (width if config.structure == "parallel" else 0), 1)
    return rating_memory_bytes(config, vocab_sizes, train_rows, [*cross, deep, head])


def _label(config: DCNConfig) -> str:
    if not config.cross_layers:
        shape = "DNN (no cross layers)"
    else:
        rank = f"rank {config.projection_dim}" if config.projection_dim else "full rank"
        shape = f"DCN {config.cross_layers} cross ({rank}, {config.structure})"
    return f"{shape}, dim {config.embedding_dim}, {config.epochs} epochs"


FAMILY = families.ModelFamily(
    name="dcn",
    title="DCN (rating prediction, explicit crosses)",
    description="Deep & Cross rating model: keras-rs FeatureCross layers (full or low rank) and a deep part",
    task=families.RATING,
    config=DCNConfig,
    model_class=DCN,
    build=build_dcn,
    presets={
        "dcn-cross": {},
        "dcn-lowrank": {"projection_dim": 32},
        "dnn": {"cross_layers": 0},
    },
    pretrained={"dcn-default": "dcn-cross"},
    views=frozenset({families.CURVES, families.ARCHITECTURE, families.CROSS_MATRIX, families.RERANK}),
    memory_bytes=_memory_bytes,
    architecture_note="`FeatureCross` multiplies the concatenated embeddings x0 with a learned linear map of the "
    "previous layer's output (explicit feature crosses); the deep part and one output unit follow",
    label=_label,
    options=("cross_layers", "projection_dim", "deep_layers", "structure", "dropout", "early_stopping"),
    space={
        **RATING_SPACE,
        "cross_layers": IntRange(1, 3),
        "projection_dim": Choice((0, 16, 32)),
        "deep_layers": Choice(((32,), (64, 32), (128, 64, 32))),
    },
)
