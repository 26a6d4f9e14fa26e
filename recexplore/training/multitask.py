"""The multi-task loop: one fit on the stars and the in-batch softmax at once (the towers' inputs,
sampling probabilities, optimizer and EASE teacher), curves of both tasks' test figures."""

from __future__ import annotations

import time

import keras
import numpy as np

from recexplore.data.batches import fit_input
from recexplore.evaluation.accuracy import hits_at, rmse
from recexplore.evaluation.multitask import multitask_evaluation, stars_predicted
from recexplore.evaluation.scoring import tower_scores
from recexplore.models.ease import teacher_logits
from recexplore.models.lazy_adam import lazy_optimizer
from recexplore.models.score_rows import axis_counts
from recexplore.models.towers import TEACHER_LAMBDA, teacher_fits
from recexplore.training.rating import stars_of
from recexplore.training.retrieval import CURVE_K
from recexplore.training.trainer import Fit, HookBridge, TrainResult, build_optimizer, train_result


def train_multitask(fit: Fit) -> TrainResult:
    """A multi-task family: its weighted loss on every training rating, hit rates and RMSE per epoch."""
    fam, data, split, config, seed, hooks, vocab, space = fit.parts()
    train_matrix = space.interaction_csr(split.train)
    counts = axis_counts(train_matrix, 0).astype(np.float64)
    probability = (counts / max(counts.sum(), 1.0)).astype(np.float32)
    model = fam.build(config, vocab.sizes(), float(split.train["user_rating"].mean()))
    model.set_history(space.history(split.train))
    steps = -(-len(split.train) // config.batch_size) * config.epochs
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=max(steps, 1))
    model.compile(optimizer=lazy_optimizer(vocab.sizes(), schedule, config.weight_decay))
    build_optimizer(model)
    x, y, shuffle = fit_input(
        space.tower_maker(split.train, probability), len(split.train), stars_of(split.train), config.batch_size, seed
    )
    test_u, test_m = space.user_index(split.test["user_id"]), space.movie_index(split.test["movie_id"])
    truth = split.test["user_rating"].to_numpy()

    def curve() -> dict[str, float]:
        hits = hits_at(tower_scores(model, space), test_u, test_m, exclude=train_matrix, ks=(10, CURVE_K))
        return {
            "hit_rate_at_10": float(np.mean(hits[10])),
            f"hit_rate_at_{CURVE_K}": float(np.mean(hits[CURVE_K])),
            "test_rmse": rmse(truth, stars_predicted(model, space, split.test)),
        }

    bridge = HookBridge(hooks, extra_epoch_logs=curve)
    distil = config.retrieval_weight > 0 and config.distill_weight > 0 and teacher_fits(vocab.sizes())
    start = time.perf_counter()
    if distil:
        model.set_teacher(teacher_logits(train_matrix, TEACHER_LAMBDA, config.distill_temperature))
    try:
        model.fit(
            x, y, batch_size=config.batch_size, epochs=config.epochs, shuffle=shuffle, verbose=0, callbacks=[bridge]
        )
    finally:
        model.set_teacher(None)
    seconds = time.perf_counter() - start
    report, extras = multitask_evaluation(model, space, split)
    report["epochs_run"] = len(bridge.history)
    result = train_result(fit, model, bridge, report, seconds)
    result.extras.update(extras)
    return result
