"""A toy model family, as a contributor would add one: this module and one row in the family table.

A rating model whose network over the embeddings is one linear unit. The tests register it with
`monkeypatch.setitem(families.FAMILY_MODULES, "toy", "tests.toy_family")` and find it in the CLI,
the Train page and the Runs page without any other file changing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
from keras import ops

from recexplore import families
from recexplore.models.rating import RatingConfig, RatingModel, build_rating_model, rating_memory_bytes


@dataclass(frozen=True)
class ToyConfig(RatingConfig):
    """RatingConfig's settings, nothing more."""


@keras.saving.register_keras_serializable(package="recexplore_tests")
class ToyRating(RatingModel):
    """Biases, the factorisation path and one linear unit over the embeddings."""

    CONFIG = ToyConfig
    RESIDUAL_LABEL = "one linear unit"

    def __init__(self, model_config: ToyConfig, *args: Any, **kwargs: Any) -> None:
        super().__init__(model_config, *args, **kwargs)
        self.unit = keras.layers.Dense(1, name="unit")

    def residual(self, embedded: list[Any], training: bool) -> tuple[Any, dict[str, Any]]:
        return self.unit(ops.concatenate(embedded, axis=1))[:, 0], {}


FAMILY = families.ModelFamily(
    name="toy",
    title="Toy (one linear unit)",
    description="toy rating model: one linear unit over the embeddings",
    task=families.RATING,
    config=ToyConfig,
    model_class=ToyRating,
    build=lambda config, vocab_sizes, global_mean=3.5: build_rating_model(ToyRating, config, vocab_sizes, global_mean),
    presets={"toy": {"embedding_dim": 4, "epochs": 1, "batch_size": 256}},
    pretrained={"toy-default": "toy"},
    views=frozenset({families.CURVES, families.ARCHITECTURE, families.RERANK}),
    memory_bytes=lambda config, sizes, rows: rating_memory_bytes(config, sizes, rows, []),
    architecture_note="one Dense unit reads the concatenated embeddings",
    label=lambda config: f"toy dim {config.embedding_dim}, {config.epochs} epochs",
    options=("dropout",),
)
