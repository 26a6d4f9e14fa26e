"""The listwise family's training loop: the rating task's, on lists of a user's training ratings
with the config's list loss; after a list loss, the scores are mapped to stars by a fitted line."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from recexplore.data.batches import Maker, in_pieces
from recexplore.data.features import FeatureSpace
from recexplore.data.lists import check_list_length, user_lists
from recexplore.data.splits import Split
from recexplore.evaluation.accuracy import rmse
from recexplore.evaluation.scoring import predict_ratings, rating_metrics, rating_scores
from recexplore.models.lazy_adam import lazy_optimizer
from recexplore.models.listwise import MSE, PADDED, ranking_loss
from recexplore.training.rating import bias_tables, stars_of
from recexplore.training.trainer import Fit, HookBridge, TrainResult, build_optimizer, train_result

CALIBRATION_ROWS = 200_000  # the most training ratings the calibration line is fitted on (a line: plenty)


class ListBatches(keras.utils.PyDataset):
    """`fit`'s input: batches of lists, (lists, length, ...) inputs and (lists, length) stars with
    PADDED in a short list's empty slots; the lists are cut again every epoch."""

    def __init__(
        self,
        make: Maker,
        cut: Callable[[np.random.Generator], np.ndarray],
        stars: np.ndarray,
        per_batch: int,
        seed: int,
    ) -> None:
        super().__init__()
        self._make, self._cut, self._stars, self._per_batch = make, cut, stars, int(per_batch)
        self._rng = np.random.default_rng(seed)
        self._lists = cut(self._rng)

    def __len__(self) -> int:
        return -(-len(self._lists) // self._per_batch)

    def __getitem__(self, index: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        lists = self._lists[index * self._per_batch : (index + 1) * self._per_batch]
        real = lists >= 0
        filled = np.where(real, lists, lists[:, :1])  # a padded slot repeats the list's first row
        inputs = self._make(filled.ravel())
        shaped = {k: v.reshape(*lists.shape, *v.shape[1:]) for k, v in inputs.items()}
        return shaped, np.where(real, self._stars[filled], PADDED).astype(np.float32)

    def on_epoch_end(self) -> None:
        self._lists = self._cut(self._rng)


def train_listwise(fit: Fit) -> TrainResult:
    """Listwise: the list loss over lists of each user's training ratings, biases started at the ridge fit."""
    fam, data, split, config, seed, hooks, vocab, space = fit.parts()
    if config.early_stopping:
        raise ValueError("listwise models train without early stopping: their loss is not the stars' RMSE")
    rows = split.train
    users = rows["user_id"].to_numpy()
    check_list_length(config.list_length, users)
    model = fam.build(config, vocab.sizes(), float(rows["user_rating"].mean()))
    model.set_history(space.history(rows))
    if config.bias_start > 0:
        model.start_biases(*bias_tables(space, rows, config.bias_start))
    model.compile(optimizer=lazy_optimizer(vocab.sizes(), config.learning_rate), loss=ranking_loss(config.loss))
    build_optimizer(model)
    stamps = rows["timestamp"].to_numpy()

    def cut(rng: np.random.Generator) -> np.ndarray:
        return user_lists(users, stamps, config.list_length, config.list_cut, rng)

    stars = stars_of(rows)
    per_batch = max(1, config.batch_size // config.list_length)  # as many ratings a step as the DLRM
    batches = ListBatches(space.dlrm_maker(rows), cut, stars, per_batch, seed)
    bridge = HookBridge(hooks, extra_epoch_logs=_held_out_curve(model, space, split, config.loss))
    start = time.perf_counter()
    model.fit(batches, epochs=config.epochs, verbose=0, callbacks=[bridge])
    seconds = time.perf_counter() - start
    if config.loss != MSE:
        calibrate(model, space, rows)
    metrics = {**rating_metrics(model, space, split), "epochs_run": len(bridge.history)}
    return train_result(fit, model, bridge, metrics, seconds)


def calibrate(model: keras.Model, space: FeatureSpace, rows: Any) -> tuple[float, float]:
    """Fit the line from the model's raw scores to the stars of `rows` (least squares; a seeded
    sample of CALIBRATION_ROWS of them when there are more) and set it as the model's calibration:
    its predictions are then stars, its order unchanged (a scale below 0 would reverse it, so the
    scale is at least 0)."""
    if len(rows) > CALIBRATION_ROWS:
        rows = rows.sample(CALIBRATION_ROWS, random_state=0)
    model.set_calibration(1.0, 0.0)
    raw = rating_scores(model, space, rows)
    truth = stars_of(rows).astype(np.float64)
    spread = float(np.var(raw))
    scale = max(0.0, float(np.cov(raw, truth, bias=True)[0, 1]) / spread) if spread > 0 else 0.0
    shift = float(truth.mean() - scale * raw.mean())
    model.set_calibration(scale, shift)
    return scale, shift


def _held_out_curve(model: keras.Model, space: FeatureSpace, split: Split, loss: str) -> Callable[[], dict[str, float]]:
    """The test RMSE after each epoch (after a list loss, of the scores calibrated on the training
    ratings at that epoch), only shown: no decision is taken on it."""
    truth, make = split.test["user_rating"].to_numpy(), space.dlrm_maker(split.test)

    def curve() -> dict[str, float]:
        if loss != MSE:
            calibrate(model, space, split.train)
        return {"test_rmse": rmse(truth, in_pieces(make, len(truth), lambda x: predict_ratings(model, x)))}

    return curve
