"""The rating task's training loop: MSE on the stars, biases started at the ridge fit, optional early stopping."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from recexplore.data.batches import fit_input, in_pieces
from recexplore.data.features import FeatureSpace
from recexplore.data.splits import Split, validation_slice
from recexplore.evaluation.accuracy import rmse
from recexplore.evaluation.scoring import predict_ratings, rating_metrics
from recexplore.models.biases import fit_biases
from recexplore.models.lazy_adam import lazy_optimizer
from recexplore.training.trainer import Fit, HookBridge, TrainResult, build_optimizer, train_result


def train_rating(fit: Fit) -> TrainResult:
    """Rating families: MSE on the stars, the biases started at the ridge fit, optional early stopping."""
    fam, data, split, config, seed, hooks, vocab, space = fit.parts()
    fit_rows, val_rows = validation_slice(split.train, seed) if config.early_stopping else (split.train, None)
    model = fam.build(config, vocab.sizes(), float(fit_rows["user_rating"].mean()))
    model.set_history(space.history(split.train))
    if config.bias_start > 0:
        model.start_biases(*bias_tables(space, fit_rows, config.bias_start))
    model.compile(
        optimizer=lazy_optimizer(vocab.sizes(), config.learning_rate),
        loss="mse",
        metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
    )
    build_optimizer(model)
    callbacks: list[keras.callbacks.Callback] = []
    validation = None
    if config.early_stopping:
        val_x, val_y, _ = fit_input(
            space.dlrm_maker(val_rows), len(val_rows), stars_of(val_rows), config.batch_size, seed
        )
        validation = val_x if val_y is None else (val_x, val_y)
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor="val_rmse", patience=config.patience, restore_best_weights=True)
        )
    bridge = HookBridge(hooks, extra_epoch_logs=None if config.early_stopping else _held_out_curve(model, space, split))
    x, y, shuffle = fit_input(space.dlrm_maker(fit_rows), len(fit_rows), stars_of(fit_rows), config.batch_size, seed)
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
    return train_result(fit, model, bridge, metrics, seconds)


def _held_out_curve(model: keras.Model, space: FeatureSpace, split: Split) -> Callable[[], dict[str, float]]:
    """The test RMSE after each epoch, only shown: no decision is taken on it."""
    truth, make = split.test["user_rating"].to_numpy(), space.dlrm_maker(split.test)  # indexed once, not per epoch
    return lambda: {"test_rmse": rmse(truth, in_pieces(make, len(truth), lambda x: predict_ratings(model, x)))}


def stars_of(rows: Any) -> np.ndarray:
    """The ratings' stars as fit's float32 targets."""
    return rows["user_rating"].to_numpy(np.float32)


def bias_tables(space: FeatureSpace, rows: Any, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """The bias-only ridge fit of `rows` as user and movie bias tables (0 for the OOV row)."""
    fit = fit_biases(rows, lam)
    user, movie = np.zeros(space.n_users, np.float32), np.zeros(space.n_movies, np.float32)
    user[space.user_index(fit.user_ids)] = fit.user
    movie[space.movie_index(fit.movie_ids)] = fit.movie
    user[0] = movie[0] = 0.0
    return user, movie
