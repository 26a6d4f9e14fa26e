"""The DLRM family: DLRMConfig and the DLRM rating model built on keras_rs.layers.DotInteraction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import keras
import keras_rs
from keras import ops

from recexplore import families
from recexplore.config.search import Choice
from recexplore.config.settings import setting
from recexplore.models.common import mlp
from recexplore.models.rating import (
    RATING_FEATURES,
    RATING_SPACE,
    RatingConfig,
    RatingModel,
    build_rating_model,
    n_features,
    rating_memory_bytes,
)

DLRM_FEATURES = RATING_FEATURES  # the name the DLRM's readers know it by (every rating family's features)


@dataclass(frozen=True)
class DLRMConfig(RatingConfig):
    """Hyperparameters of the DLRM rating model: RatingConfig's, and

    Attributes:
        top_layers: hidden widths of the top MLP over [dense, interactions].
    """

    top_layers: tuple[int, ...] = setting((64, 32), "top MLP widths", layers="any")

    # Saves from before a setting existed were trained without it (or with early stopping).
    SAVED_BEFORE: ClassVar[dict[str, Any]] = {"movie_audience": False, "bias_start": 0.0, "early_stopping": True}


@keras.saving.register_keras_serializable(package="recexplore")
class DLRM(RatingModel):
    """DLRM: the top MLP reads the dense vector and `DotInteraction`'s pairwise dot products of
    the feature embeddings (the paper's concatenation); see RatingModel for the rest."""

    CONFIG = DLRMConfig
    RESIDUAL_LABEL = "top MLP over DotInteraction"

    def __init__(self, model_config: DLRMConfig, *args: Any, **kwargs: Any) -> None:
        super().__init__(model_config, *args, **kwargs)
        self.top_layers = model_config.top_layers
        self.interaction = keras_rs.layers.DotInteraction(name="dot_interaction")
        self.top_mlp = mlp((*self.top_layers, 1), name="top_mlp", dropout=self.dropout, kernel_l2=self.top_l2)

    def residual(self, embedded: list[Any], training: bool) -> tuple[Any, dict[str, Any]]:
        interactions = self.interaction(embedded)
        out = self.top_mlp(ops.concatenate([embedded[-1], interactions], axis=1), training=training)[:, 0]
        return out, {"interactions": interactions}


def build_dlrm(config: DLRMConfig, vocab_sizes: dict[str, int], n_dense: int, global_mean: float) -> DLRM:
    """A compiled-ready, built DLRM for `config`."""
    return build_rating_model(DLRM, config, vocab_sizes, global_mean, n_dense)


def _memory_bytes(config: DLRMConfig, vocab_sizes: dict[str, int], train_rows: int) -> int:
    f = n_features(config)
    top = (config.embedding_dim + f * (f - 1) // 2, *config.top_layers, 1)
    return rating_memory_bytes(config, vocab_sizes, train_rows, [top])


FAMILY = families.ModelFamily(
    name="dlrm",
    title="DLRM (rating prediction)",
    description="DLRM rating model: keras-rs DotInteraction over one embedding per feature, then a top MLP",
    task=families.RATING,
    config=DLRMConfig,
    model_class=DLRM,
    build=lambda config, vocab_sizes, global_mean=3.5: build_rating_model(DLRM, config, vocab_sizes, global_mean),
    presets={"dlrm": {}},
    pretrained={"dlrm-default": "dlrm"},
    views=frozenset({families.CURVES, families.ARCHITECTURE, families.INTERACTIONS, families.RERANK}),
    memory_bytes=_memory_bytes,
    architecture_note="`DotInteraction` takes one embedding per feature (and the bottom MLP's output) and passes "
    "their pairwise dot products to the top MLP",
    label=lambda config: f"DLRM dim {config.embedding_dim}, {config.epochs} epochs",
    options=("top_layers", "dropout", "early_stopping"),
    space={**RATING_SPACE, "top_layers": Choice(((32,), (64, 32), (128, 64, 32)))},
)
