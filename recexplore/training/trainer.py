"""train(...) -> TrainResult for any model family (one training loop per task), with Streamlit-free progress hooks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from recexplore.data.batches import fit_input, in_pieces
from recexplore.data.features import FeatureSpace, Vocabularies
from recexplore.data.movielens import MovieLens, Split, validation_slice
from recexplore.data.sources import DEFAULT_DATASET
from recexplore.evaluation.accuracy import axis_counts, hits_at, rmse
from recexplore.evaluation.scoring import predict_ratings, rating_metrics, tower_scores, towers_evaluation
from recexplore.families import NEXT_ITEM, RATING, ModelFamily, family
from recexplore.models.biases import fit_biases
from recexplore.models.ease import teacher_logits
from recexplore.models.lazy_adam import lazy_optimizer
from recexplore.models.towers import TEACHER_LAMBDA, teacher_fits
from recexplore.training.device import device_description

CURVE_K = 100  # hit-rate@k recorded per epoch for retrieval curves


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


class _HookBridge(keras.callbacks.Callback):
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


def _result(
    kind: str,
    model: keras.Model,
    config: Any,
    vocab: Vocabularies,
    bridge: _HookBridge,
    metrics: dict[str, float],
    seconds: float,
    split: Split,
    data: MovieLens,
    seed: int,
) -> TrainResult:
    """The TrainResult of a finished (or cancelled) fit."""
    return TrainResult(
        kind,
        model,
        config,
        vocab,
        bridge.history,
        metrics,
        count_params(model),
        seconds,
        device_description(),
        split.describe(),
        data.fingerprint,
        seed,
        bridge.cancelled,
        dataset=data.dataset,
    )


def _build_optimizer(model: keras.Model) -> None:
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
    trainer = {RATING.name: _train_rating, NEXT_ITEM.name: _train_sequential}.get(fam.task.name, _train_retrieval)
    return trainer(fam, data, split, config, seed, hooks, vocab, space)


def _train_rating(
    fam: ModelFamily,
    data: MovieLens,
    split: Split,
    config: Any,
    seed: int,
    hooks: ProgressHooks,
    vocab: Vocabularies,
    space: FeatureSpace,
) -> TrainResult:
    """Rating families: MSE on the stars, the biases started at the ridge fit, optional early stopping."""
    fit_rows, val_rows = validation_slice(split.train, seed) if config.early_stopping else (split.train, None)
    model = fam.build(config, vocab.sizes(), float(fit_rows["user_rating"].mean()))
    model.set_history(space.history(split.train))
    if config.bias_start > 0:
        model.start_biases(*_bias_tables(space, fit_rows, config.bias_start))
    model.compile(
        optimizer=lazy_optimizer(vocab.sizes(), config.learning_rate),
        loss="mse",
        metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
    )
    _build_optimizer(model)
    callbacks: list[keras.callbacks.Callback] = []
    validation = None
    if config.early_stopping:
        val_x, val_y, _ = fit_input(
            space.dlrm_maker(val_rows), len(val_rows), _stars(val_rows), config.batch_size, seed
        )
        validation = val_x if val_y is None else (val_x, val_y)
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor="val_rmse", patience=config.patience, restore_best_weights=True)
        )
    bridge = _HookBridge(
        hooks, extra_epoch_logs=None if config.early_stopping else _held_out_curve(model, space, split)
    )
    x, y, shuffle = fit_input(space.dlrm_maker(fit_rows), len(fit_rows), _stars(fit_rows), config.batch_size, seed)
    start = time.perf_counter()
    model.fit(
        x,
        y,
        validation_data=validation,
        batch_size=config.batch_size,
        epochs=config.epochs,
        shuffle=shuffle,
        verbose=0,
        callbacks=[bridge, *callbacks],
    )
    seconds = time.perf_counter() - start
    metrics = {**rating_metrics(model, space, split), "epochs_run": len(bridge.history)}
    if config.early_stopping:
        metrics["best_val_rmse"] = min((h["val_rmse"] for h in bridge.history), default=float("nan"))
    return _result(fam.name, model, config, vocab, bridge, metrics, seconds, split, data, seed)


def _held_out_curve(model: keras.Model, space: FeatureSpace, split: Split) -> Callable[[], dict[str, float]]:
    """The test RMSE after each epoch, only shown: no decision is taken on it."""
    truth, make = split.test["user_rating"].to_numpy(), space.dlrm_maker(split.test)  # indexed once, not per epoch
    return lambda: {"test_rmse": rmse(truth, in_pieces(make, len(truth), lambda x: predict_ratings(model, x)))}


def _stars(rows: Any) -> np.ndarray:
    """The ratings' stars as fit's float32 targets."""
    return rows["user_rating"].to_numpy(np.float32)


def _bias_tables(space: FeatureSpace, rows: Any, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """The bias-only ridge fit of `rows` as user and movie bias tables (0 for the OOV row)."""
    fit = fit_biases(rows, lam)
    user, movie = np.zeros(space.n_users, np.float32), np.zeros(space.n_movies, np.float32)
    user[space.user_index(fit.user_ids)] = fit.user
    movie[space.movie_index(fit.movie_ids)] = fit.movie
    user[0] = movie[0] = 0.0
    return user, movie


def _train_retrieval(
    fam: ModelFamily,
    data: MovieLens,
    split: Split,
    config: Any,
    seed: int,
    hooks: ProgressHooks,
    vocab: Vocabularies,
    space: FeatureSpace,
) -> TrainResult:
    """Retrieval families: in-batch softmax (or rating MSE), cosine-decayed AdamW, hit-rate curves."""
    train_matrix = space.interaction_csr(split.train)  # sparse: memory grows with the ratings
    counts = axis_counts(train_matrix, 0).astype(np.float64)
    probability = (counts / max(counts.sum(), 1.0)).astype(np.float32)
    model = fam.build(config, vocab.sizes())
    steps = -(-len(split.train) // config.batch_size) * config.epochs
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=max(steps, 1))
    model.compile(optimizer=lazy_optimizer(vocab.sizes(), schedule, config.weight_decay))
    _build_optimizer(model)
    stars = _stars(split.train) if config.objective == "rating_mse" else None
    x, y, shuffle = fit_input(
        space.tower_maker(split.train, probability), len(split.train), stars, config.batch_size, seed
    )
    test_u = space.user_index(split.test["user_id"])
    test_m = space.movie_index(split.test["movie_id"])

    def curve() -> dict[str, float]:
        hits = hits_at(tower_scores(model, space), test_u, test_m, exclude=train_matrix, ks=(10, CURVE_K))
        return {"hit_rate_at_10": float(np.mean(hits[10])), f"hit_rate_at_{CURVE_K}": float(np.mean(hits[CURVE_K]))}

    bridge = _HookBridge(hooks, extra_epoch_logs=curve)
    start = time.perf_counter()
    distil = config.objective == "softmax" and config.distill_weight > 0 and teacher_fits(vocab.sizes())
    if distil:
        model.set_teacher(teacher_logits(train_matrix, TEACHER_LAMBDA, config.distill_temperature))
    try:
        model.fit(
            x, y, batch_size=config.batch_size, epochs=config.epochs, shuffle=shuffle, verbose=0, callbacks=[bridge]
        )
    finally:
        model.set_teacher(None)
    seconds = time.perf_counter() - start
    report, extras = towers_evaluation(model, space, split)
    report["epochs_run"] = len(bridge.history)
    if config.distill_weight > 0 and not distil:
        report["teacher_skipped"] = 1.0  # the catalogue is too large for the EASE teacher's logits
    result = _result(fam.name, model, config, vocab, bridge, report, seconds, split, data, seed)
    result.extras.update(extras)
    return result


def _train_sequential(
    fam: ModelFamily,
    data: MovieLens,
    split: Split,
    config: Any,
    seed: int,
    hooks: ProgressHooks,
    vocab: Vocabularies,
    space: FeatureSpace,
) -> TrainResult:
    """Next-movie families: every position of every training history predicts the movie after
    it (in-batch softmax); per-epoch next-movie hit rates on the split's targets (shown, never
    used to choose anything); the peers measured on the same targets at the end."""
    from recexplore.data.sequences import training_chunks
    from recexplore.evaluation.next_item import CUTOFFS, next_item_report, split_arrays
    from recexplore.evaluation.scoring import next_item_metrics, sequential_scores

    arrays = split_arrays(space, split)
    inputs, targets, users = training_chunks(arrays["histories"], config.max_len)
    if len(targets) == 0:
        raise ValueError("no user has two movies in the training part: nothing to learn the next movie from")
    counts = np.bincount(targets[targets > 0], minlength=space.n_movies).astype(np.float64)
    probability = (counts / counts.sum()).astype(np.float32)
    x = {
        "history": inputs,
        "movie_id": targets,
        "genres": space.movies["genres"][targets],
        "sampling_probability": probability[targets],
        **{f: space.users[f][users] for f in ("user_gender", "age_bucket", "user_occupation")},
    }
    model = fam.build(config, vocab.sizes())
    steps = -(-len(targets) // config.batch_size) * config.epochs
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=max(steps, 1))
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay))
    _build_optimizer(model)

    def curve() -> dict[str, float]:
        scores = sequential_scores(model, space, arrays["histories"])
        found = next_item_report(scores, arrays["seen"], arrays["users"], arrays["targets"])
        return {f"next_hit_rate_at_{k}": found[f"next_hit_rate_at_{k}"] for k in CUTOFFS}

    bridge = _HookBridge(hooks, extra_epoch_logs=curve)
    start = time.perf_counter()
    model.fit(x, None, batch_size=config.batch_size, epochs=config.epochs, shuffle=True, verbose=0, callbacks=[bridge])
    seconds = time.perf_counter() - start
    report = next_item_metrics(model, space, split, arrays)
    report["epochs_run"] = len(bridge.history)
    return _result(fam.name, model, config, vocab, bridge, report, seconds, split, data, seed)
