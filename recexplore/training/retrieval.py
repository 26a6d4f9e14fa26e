"""The retrieval task's training loop: in-batch softmax (or rating MSE) with the EASE teacher, hit-rate curves."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from recexplore.data.batches import fit_input
from recexplore.evaluation.accuracy import hits_at
from recexplore.evaluation.scoring import tower_scores, towers_evaluation
from recexplore.models.ease import teacher_logits
from recexplore.models.lazy_adam import lazy_optimizer
from recexplore.models.score_rows import axis_counts
from recexplore.models.towers import TEACHER_LAMBDA, teacher_fits
from recexplore.training.rating import stars_of
from recexplore.training.trainer import Fit, HookBridge, TrainResult, build_optimizer, train_result

CURVE_K = 100  # hit-rate@k recorded per epoch for retrieval curves


def sampling_probability(train_matrix: Any) -> np.ndarray:
    """Each movie's share of the training ratings: the in-batch softmax's sampling probability."""
    counts = axis_counts(train_matrix, 0).astype(np.float64)
    return (counts / max(counts.sum(), 1.0)).astype(np.float32)


def compile_towers(model: keras.Model, config: Any, vocab_sizes: dict[str, int], train_rows: int) -> None:
    """Lazy AdamW with the learning rate cosine-decayed to 0 over the whole training, its slots built."""
    steps = -(-train_rows // config.batch_size) * config.epochs
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=max(steps, 1))
    model.compile(optimizer=lazy_optimizer(vocab_sizes, schedule, config.weight_decay))
    build_optimizer(model)


def hit_curve(model: keras.Model, space: Any, split: Any, train_matrix: Any) -> Callable[[], dict[str, float]]:
    """The per-epoch test hit rates @10 and @CURVE_K of a model with towers (training movies excluded)."""
    test_u = space.user_index(split.test["user_id"])
    test_m = space.movie_index(split.test["movie_id"])

    def curve() -> dict[str, float]:
        hits = hits_at(tower_scores(model, space), test_u, test_m, exclude=train_matrix, ks=(10, CURVE_K))
        return {"hit_rate_at_10": float(np.mean(hits[10])), f"hit_rate_at_{CURVE_K}": float(np.mean(hits[CURVE_K]))}

    return curve


def fit_with_teacher(
    model: keras.Model, fit_args: tuple[Any, Any, Any], config: Any, train_matrix: Any, bridge: HookBridge, distil: bool
) -> float:
    """`model.fit` on (x, y, shuffle), with the EASE teacher's logits set while it trains when `distil`;
    the training's seconds."""
    x, y, shuffle = fit_args
    start = time.perf_counter()
    if distil:
        model.set_teacher(teacher_logits(train_matrix, TEACHER_LAMBDA, config.distill_temperature))
    try:
        model.fit(
            x, y, batch_size=config.batch_size, epochs=config.epochs, shuffle=shuffle, verbose=0, callbacks=[bridge]
        )
    finally:
        model.set_teacher(None)
    return time.perf_counter() - start


def train_retrieval(fit: Fit) -> TrainResult:
    """Retrieval families: in-batch softmax (or rating MSE), cosine-decayed AdamW, hit-rate curves."""
    fam, data, split, config, seed, hooks, vocab, space = fit.parts()
    train_matrix = space.interaction_csr(split.train)  # sparse: memory grows with the ratings
    probability = sampling_probability(train_matrix)
    model = fam.build(config, vocab.sizes())
    model.set_history(space.history(split.train))  # the query tower's, when it reads one
    compile_towers(model, config, vocab.sizes(), len(split.train))
    stars = stars_of(split.train) if config.objective == "rating_mse" else None
    fit_args = fit_input(space.tower_maker(split.train, probability), len(split.train), stars, config.batch_size, seed)
    bridge = HookBridge(hooks, extra_epoch_logs=hit_curve(model, space, split, train_matrix))
    distil = config.objective == "softmax" and config.distill_weight > 0 and teacher_fits(vocab.sizes())
    seconds = fit_with_teacher(model, fit_args, config, train_matrix, bridge, distil)
    report, extras = towers_evaluation(model, space, split)
    report["epochs_run"] = len(bridge.history)
    if config.distill_weight > 0 and not distil:
        report["teacher_skipped"] = 1.0  # the catalogue is too large for the EASE teacher's logits
    result = train_result(fit, model, bridge, report, seconds)
    result.extras.update(extras)
    return result
