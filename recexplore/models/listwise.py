"""The listwise family: the DLRM's network, trained on lists of a user's ratings with a ranking
loss (keras-rs `PairwiseHingeLoss`, `PairwiseLogisticLoss`, `ListMLELoss`) or, as the pointwise
control, mean squared error over the same lists."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import keras
import keras_rs
from keras import ops

from recexplore import families
from recexplore.config.search import Choice
from recexplore.config.settings import Bound, setting
from recexplore.data.lists import LIST_CUTS, SHUFFLED
from recexplore.models.dlrm import DLRM, DLRMConfig
from recexplore.models.rating import RATING_SPACE, build_rating_model, n_features, rating_memory_bytes

MSE, HINGE, LOGISTIC, LIST_MLE = "mse", "pairwise_hinge", "pairwise_logistic", "list_mle"
LOSSES = (LIST_MLE, HINGE, LOGISTIC, MSE)
MAX_LIST_LENGTH = 100
PADDED = -1.0  # the label of a padded slot: keras-rs's losses ignore labels below 0, and so does ours

# Trained with the list loss by its own task entry: the rating task's evaluation and peers, its own loop.
LIST_RATING = dataclasses.replace(families.RATING, trainer="recexplore.training.listwise:train_listwise")


@dataclass(frozen=True)
class ListwiseConfig(DLRMConfig):
    """The DLRM's settings, and

    Attributes:
        loss: what training minimises over each list: `pairwise_hinge`, `pairwise_logistic`,
            `list_mle` (keras-rs's ranking losses, the stars as labels) or `mse` (the control).
        list_length: movies per training list (a user's last list holds what is left).
        list_cut: how a user's ratings are cut into lists: `shuffled` (a fresh random order
            every epoch) or `by_time` (in the order rated).
    """

    loss: str = setting(
        LIST_MLE,
        "the loss over each list",
        choices=LOSSES,
        explain="pairwise_hinge / pairwise_logistic: penalise every pair of the list in the wrong order; "
        "list_mle: the likelihood of the list's true order; mse: each star on its own (the control).",
    )
    list_length: int = setting(10, "movies in each training list", Bound(2, MAX_LIST_LENGTH, integer=True))
    list_cut: str = setting(SHUFFLED, "how a user's ratings are cut into lists", choices=LIST_CUTS)

    SAVED_BEFORE: ClassVar[dict[str, Any]] = {}

    @property
    def training_loss(self) -> str:
        return self.loss


@keras.saving.register_keras_serializable(package="recexplore")
class ListwiseRanker(DLRM):
    """The DLRM, called on (lists, length) inputs while training on lists; on flat inputs its score
    goes through `calibration` (scale, shift: a line fitted to the training stars after a list loss,
    identity after mse), so it predicts stars and ranks as the raw score does."""

    CONFIG = ListwiseConfig
    RESIDUAL_LABEL = "top MLP over DotInteraction, trained on lists"

    def __init__(self, model_config: ListwiseConfig, *args: Any, **kwargs: Any) -> None:
        super().__init__(model_config, *args, **kwargs)
        self.calibration = self.add_weight(
            shape=(2,), initializer=keras.initializers.Constant([1.0, 0.0]), trainable=False, name="calibration"
        )

    def call(self, inputs: dict[str, Any], training: bool = False) -> Any:
        ids = inputs["user_id"]
        if len(ids.shape) == 2:  # (lists, length): a batch of lists, scored raw
            length = ids.shape[1]
            flat = {k: ops.reshape(v, (-1, *v.shape[2:])) for k, v in inputs.items()}
            return ops.reshape(super().call(flat, training), (-1, length))
        return super().call(inputs, training) * self.calibration[0] + self.calibration[1]

    def set_calibration(self, scale: float, shift: float) -> None:
        """The line from raw scores to stars."""
        self.calibration.assign([float(scale), float(shift)])


@keras.saving.register_keras_serializable(package="recexplore")
class MaskedMSE(keras.losses.Loss):
    """Mean squared error over a list's real slots (labels below 0 are padding)."""

    def call(self, y_true: Any, y_pred: Any) -> Any:
        real = ops.cast(ops.greater_equal(y_true, 0.0), y_pred.dtype)
        squares = ops.square(y_true - y_pred) * real
        return ops.sum(squares, axis=-1) / ops.maximum(ops.sum(real, axis=-1), 1.0)


def ranking_loss(name: str) -> keras.losses.Loss:
    """The loss `name` stands for; ValueError naming the losses."""
    losses = {
        HINGE: keras_rs.losses.PairwiseHingeLoss,
        LOGISTIC: keras_rs.losses.PairwiseLogisticLoss,
        LIST_MLE: keras_rs.losses.ListMLELoss,
        MSE: MaskedMSE,
    }
    if name not in losses:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {name!r}")
    return losses[name]()


def _memory_bytes(config: ListwiseConfig, vocab_sizes: dict[str, int], train_rows: int) -> int:
    """The DLRM's training memory (a batch of lists holds `batch_size` ratings, as the DLRM's)."""
    f = n_features(config)
    top = (config.embedding_dim + f * (f - 1) // 2, *config.top_layers, 1)
    return rating_memory_bytes(config, vocab_sizes, train_rows, [top])


# One preset per list loss, so compare-rankers can put the loss beside the network as a dimension;
# the pointwise control on the same network is the DLRM itself (or `train listwise --loss mse`: the
# same lists, each star on its own).
PRESET_OF_LOSS = {LIST_MLE: "listmle", HINGE: "listwise-hinge", LOGISTIC: "listwise-logistic"}

FAMILY = families.ModelFamily(
    name="listwise",
    title="Listwise (ranking a user's list)",
    description="the DLRM's network trained on lists of a user's ratings with a ranking loss (keras-rs)",
    task=LIST_RATING,
    config=ListwiseConfig,
    model_class=ListwiseRanker,
    build=lambda config, vocab_sizes, global_mean=3.5: build_rating_model(
        ListwiseRanker, config, vocab_sizes, global_mean
    ),
    presets={preset: {"loss": loss} for loss, preset in PRESET_OF_LOSS.items()},
    pretrained={"listwise-default": "listmle"},
    views=frozenset({families.CURVES, families.ARCHITECTURE, families.RERANK}),
    memory_bytes=_memory_bytes,
    architecture_note="the DLRM's `DotInteraction` and top MLP, trained to order each user's list of movies "
    "(a ranking loss over the list) instead of predicting each star",
    label=lambda config: f"listwise {config.loss}, lists of {config.list_length}, {config.epochs} epochs",
    options=("loss", "list_length", "list_cut", "top_layers", "dropout"),
    preset_of=lambda settings: PRESET_OF_LOSS.get(settings.get("loss")),
    space={**RATING_SPACE, "top_layers": Choice(((32,), (64, 32), (128, 64, 32)))},
)
