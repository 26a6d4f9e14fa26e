"""The next-movie task's training loop: every position of every history predicts the movie after it."""

from __future__ import annotations

import time

import keras
import numpy as np

from recexplore.training.trainer import Fit, HookBridge, TrainResult, build_optimizer, train_result


def train_next_item(fit: Fit) -> TrainResult:
    """Next-movie families: every position of every training history predicts the movie after
    it (in-batch softmax); per-epoch next-movie hit rates on the split's targets (shown, never
    used to choose anything); the peers measured on the same targets at the end."""
    fam, data, split, config, seed, hooks, vocab, space = fit.parts()
    from recexplore.data.history import training_chunks
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
    build_optimizer(model)

    def curve() -> dict[str, float]:
        scores = sequential_scores(model, space, arrays["histories"])
        found = next_item_report(scores, arrays["seen"], arrays["users"], arrays["targets"])
        return {f"next_hit_rate_at_{k}": found[f"next_hit_rate_at_{k}"] for k in CUTOFFS}

    bridge = HookBridge(hooks, extra_epoch_logs=curve)
    start = time.perf_counter()
    model.fit(x, None, batch_size=config.batch_size, epochs=config.epochs, shuffle=True, verbose=0, callbacks=[bridge])
    seconds = time.perf_counter() - start
    report = next_item_metrics(model, space, split, arrays)
    report["epochs_run"] = len(bridge.history)
    return train_result(fit, model, bridge, report, seconds)
