"""train(...) -> TrainResult for any model family: the loop its task names (`Task.trainer`), with
Streamlit-free progress hooks and the result every loop returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from recexplore.data.features import FeatureSpace, Vocabularies
from recexplore.data.movielens import MovieLens
from recexplore.data.sources import DEFAULT_DATASET
from recexplore.data.splits import Split
from recexplore.families import ModelFamily, family
from recexplore.training.device import device_description


@dataclass
class ProgressHooks:
    """Callbacks a caller (CLI, background job, test) passes to `train`.

    Attributes:
        on_epoch: called with (epoch index, logs dict) after every epoch.
        on_batch: called with (batch index, logs dict) after every batch.
        should_stop: polled after every batch; True stops training after it.
    """

    on_epoch: Callable[[int, dict[str, float]], None] | None = None
    on_batch: Callable[[int, dict[str, float]], None] | None = None
    should_stop: Callable[[], bool] | None = None


@dataclass
class TrainResult:
    """Everything a training run produced."""

    kind: str
    model: keras.Model
    config: Any
    vocab: Vocabularies
    history: list[dict[str, float]]
    metrics: dict[str, float]
    params: int
    train_seconds: float
    device: str
    split: dict[str, Any]
    data_fingerprint: str
    seed: int
    cancelled: bool = False
    extras: dict[str, Any] = field(default_factory=dict)
    dataset: str = DEFAULT_DATASET  # the data set's name (data_sources.SOURCES)


class HookBridge(keras.callbacks.Callback):
    """Keras callback forwarding to ProgressHooks and honouring cancellation."""

    def __init__(self, hooks: ProgressHooks, extra_epoch_logs: Callable[[], dict[str, float]] | None = None) -> None:
        super().__init__()
        self.hooks = hooks
        self.extra_epoch_logs = extra_epoch_logs
        self.history: list[dict[str, float]] = []
        self.cancelled = False

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.hooks.on_batch:
            self.hooks.on_batch(batch, {k: float(v) for k, v in (logs or {}).items()})
        if self.hooks.should_stop and self.hooks.should_stop():
            self.cancelled = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        row = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}}
        if self.extra_epoch_logs and not self.cancelled:
            row.update(self.extra_epoch_logs())
        self.history.append(row)
        if self.hooks.on_epoch:
            self.hooks.on_epoch(epoch, row)


@dataclass(frozen=True)
class Fit:
    """What a task's training loop is handed (`Task.trainer`): one family's config to train on a split."""

    fam: ModelFamily
    data: MovieLens
    split: Split
    config: Any
    seed: int
    hooks: ProgressHooks
    vocab: Vocabularies
    space: FeatureSpace

    def parts(self) -> tuple[Any, ...]:
        """(fam, data, split, config, seed, hooks, vocab, space), to unpack at a loop's start."""
        return self.fam, self.data, self.split, self.config, self.seed, self.hooks, self.vocab, self.space


def train_result(
    fit: Fit, model: keras.Model, bridge: HookBridge, metrics: dict[str, float], seconds: float
) -> TrainResult:
    """The TrainResult of a finished (or cancelled) fit."""
    return TrainResult(
        fit.fam.name,
        model,
        fit.config,
        fit.vocab,
        bridge.history,
        metrics,
        count_params(model),
        seconds,
        device_description(),
        fit.split.describe(),
        fit.data.fingerprint,
        fit.seed,
        bridge.cancelled,
        dataset=fit.data.dataset,
    )


def build_optimizer(model: keras.Model) -> None:
    """Create the optimizer's slots before fit: TF then traces the train step once, not twice."""
    model.optimizer.build(model.trainable_variables)


def count_params(model: keras.Model) -> int:
    """Trainable parameter count."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def train(
    kind: str,
    data: MovieLens,
    split: Split,
    config: Any = None,
    seed: int = 42,
    hooks: ProgressHooks | None = None,
    vocab: Vocabularies | None = None,
) -> TrainResult:
    """Train and evaluate one model.

    Args:
        kind: the model family ('dlrm', 'dcn', 'towers', ...: `families.FAMILY_MODULES`).
        data: parsed MovieLens.
        split: train/test split (evaluation uses its test part only).
        config: the family's config; its default preset when None.
        seed: seeds Python, NumPy and the backend (same seed, same result on a device).
        hooks: optional progress/cancel hooks.
        vocab: vocabularies; built from `data` when None.

    Returns:
        The trained model with its history and test metrics.
    """
    fam = family(kind)
    config = fam.make_config() if config is None else config
    if not isinstance(config, fam.config):
        raise ValueError(f"config must be a {fam.config.__name__} for kind {kind!r}, got {type(config).__name__}")
    keras.utils.set_random_seed(seed)
    vocab = vocab or Vocabularies.build(data)
    space = FeatureSpace(vocab, data)
    hooks = hooks or ProgressHooks()
    problem = fam.split_problem(split.name)
    if problem is not None:
        raise ValueError(problem)
    return fam.task.behaviour("trainer")(Fit(fam, data, split, config, seed, hooks, vocab, space))
