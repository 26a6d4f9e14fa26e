"""One model for two tasks: the two towers' query and candidate vectors shared by a retrieval head
(the towers' in-batch softmax) and a rating head (predicted stars), trained on
`retrieval_weight * retrieval + (1 - retrieval_weight) * rating` (keras-rs `multi_task.py`,
TensorFlow Recommenders' multitask tutorial)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from recexplore import families
from recexplore.config.search import Choice, LogUniform, Uniform
from recexplore.config.settings import Bound, setting, whole_config
from recexplore.models import towers
from recexplore.models.common import mlp
from recexplore.models.towers import TowerConfig, TwoTowerModel, dummy_tower_inputs

PREDICT_BATCH = 65536  # rows of star predictions at a time (one trace)


@dataclass(frozen=True)
class MultiTaskConfig(TowerConfig):
    """The towers' settings (their features, softmax, logQ correction, EASE teacher) and the two heads'.

    Attributes:
        objective: always the towers' in-batch softmax; the rating task has its own head.
        retrieval_weight: the retrieval loss's share of the loss; the rating loss has the rest
            (1: the towers' objective alone, 0: the rating MSE alone).
        rating_layers: hidden widths of the rating head over [query, candidate, query * candidate].
    """

    objective: str = setting("softmax", "retrieval objective", choices=("softmax",))
    retrieval_weight: float = setting(
        0.5,
        "retrieval's share of the loss (rating: the rest)",
        Bound(0.0, 1.0),
        explain="The loss is w * retrieval + (1 - w) * rating: 1 trains the two towers alone, 0 a rating "
        "model on the towers' features alone, and between them one model serves both tasks.",
    )
    rating_layers: tuple[int, ...] = setting((64,), "rating head widths", layers="any")

    @property
    def rating_weight(self) -> float:
        """The rating MSE's share of the loss."""
        return 1.0 - self.retrieval_weight


@keras.saving.register_keras_serializable(package="recexplore")
class MultiTaskModel(TwoTowerModel):
    """The two towers, plus a rating head: stars = global mean + MLP([q, c, q * c]).

    `call` returns (query, candidate, stars); `compute_loss` weighs the towers' own loss
    (`TwoTowerModel.compute_loss`: in-batch softmax, logQ correction, accidental hits, teacher)
    against the stars' mean squared error. Retrieval reads the towers as a two-tower model does.
    """

    def __init__(
        self, model_config: MultiTaskConfig, vocab_sizes: dict[str, int], global_mean: float = 3.5, **kwargs: Any
    ) -> None:
        super().__init__(model_config, vocab_sizes, **kwargs)
        self.global_mean = float(global_mean)
        self.retrieval_weight = model_config.retrieval_weight
        self.rating_head = mlp((*model_config.rating_layers, 1), name="rating_head")

    def build(self, input_shape: Any = None) -> None:
        """Create every weight by running the towers and the head once on an all-OOV batch."""
        self.call(dummy_tower_inputs(self.vocab_sizes["genre"]))
        self.built = True

    def call(self, inputs: dict[str, Any], training: bool = False) -> Any:
        query, candidate = super().call(inputs, training=training)
        return query, candidate, self.stars_of(query, candidate)

    def stars_of(self, query: Any, candidate: Any) -> Any:
        """The rating head's (batch,) stars from the shared query and candidate vectors."""
        joint = ops.concatenate([query, candidate, query * candidate], axis=1)
        return self.rating_head(joint)[:, 0] + self.global_mean

    def compute_loss(
        self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None, training: bool = True
    ) -> Any:
        query, candidate, stars = y_pred
        # the rating term even at weight 1 (times 0): the head then has a gradient, of zeros, and
        # Keras does not warn that it has none
        rating = ops.mean(ops.square(stars - ops.cast(ops.reshape(y, (-1,)), "float32")))
        loss = (1.0 - self.retrieval_weight) * rating
        if self.retrieval_weight > 0:  # the in-batch softmax only where it counts
            loss = loss + self.retrieval_weight * super().compute_loss(
                x, y, (query, candidate), sample_weight, training
            )
        return loss

    def predict_stars(self, features: dict[str, np.ndarray]) -> np.ndarray:
        """Star predictions (clipped to 1-5) for the rows of tower features `features`."""
        stars = self.predict(features, batch_size=PREDICT_BATCH, verbose=0)[2]
        return np.clip(np.asarray(stars, dtype=np.float64).reshape(-1), 1.0, 5.0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "global_mean": self.global_mean}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MultiTaskModel:
        """The inverse of `get_config`."""
        return cls(**whole_config(MultiTaskConfig, config))


def build_multitask(config: MultiTaskConfig, vocab_sizes: dict[str, int], global_mean: float = 3.5) -> MultiTaskModel:
    """A built multi-task model for `config`."""
    model = MultiTaskModel(config, vocab_sizes, global_mean)
    model(dummy_tower_inputs(vocab_sizes["genre"]))
    return model


def _label(config: MultiTaskConfig) -> str:
    widths = ",".join(str(w) for w in config.layers)
    return f"multi-task retrieval {config.retrieval_weight:g}, towers {widths}, {config.epochs} epochs"


# The presets: one per weight of the trade-off view (`config.trade_off`), the balance first, each on
# the 1-layer towers' training (their tuned rate and epochs) with the rating head beside them.
PRESETS: dict[str, dict[str, Any]] = {
    "balanced": {"retrieval_weight": 0.5},
    "rating-only": {"retrieval_weight": 0.0},
    "weight-0.1": {"retrieval_weight": 0.1},
    "weight-0.9": {"retrieval_weight": 0.9},
    "retrieval-only": {"retrieval_weight": 1.0},
}
PRETRAINED = {
    "multitask-balanced": "balanced",
    "multitask-rating-only": "rating-only",
    "multitask-10": "weight-0.1",
    "multitask-90": "weight-0.9",
    "multitask-retrieval-only": "retrieval-only",
}

FAMILY = families.ModelFamily(
    name="multitask",
    title="Multi-task (retrieval and rating)",
    description="one model for two tasks: shared two-tower features, an in-batch softmax head and a rating head",
    task=families.MULTITASK,
    config=MultiTaskConfig,
    model_class=MultiTaskModel,
    build=build_multitask,
    presets=PRESETS,
    pretrained=PRETRAINED,
    views=frozenset({families.CURVES, families.ARCHITECTURE}),
    memory_bytes=towers.FAMILY.memory_bytes,
    architecture_note="the query and candidate towers feed both heads: their dot product ranks every movie "
    "(in-batch softmax), and a small MLP over [query, candidate, query x candidate] predicts the stars",
    label=_label,
    options=("retrieval_weight", "layers", "rating_layers", "temperature", "distill_weight"),
    space={
        "learning_rate": LogUniform(2e-3, 3e-2),
        "retrieval_weight": Uniform(0.0, 1.0),
        "rating_layers": Choice(((), (64,), (128, 64))),
        "temperature": LogUniform(0.05, 1.0),
    },
)
