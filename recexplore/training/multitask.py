"""The multi-task loop: one fit on the stars and the in-batch softmax at once (the towers' inputs,
sampling probabilities, optimizer and EASE teacher), curves of both tasks' test figures."""

from __future__ import annotations

from recexplore.data.batches import fit_input
from recexplore.evaluation.accuracy import rmse
from recexplore.evaluation.multitask import multitask_evaluation, stars_predicted
from recexplore.models.towers import teacher_fits
from recexplore.training.rating import stars_of
from recexplore.training.retrieval import compile_towers, fit_with_teacher, hit_curve, sampling_probability
from recexplore.training.trainer import Fit, HookBridge, TrainResult, train_result


def train_multitask(fit: Fit) -> TrainResult:
    """A multi-task family: its weighted loss on every training rating, hit rates and RMSE per epoch."""
    fam, data, split, config, seed, hooks, vocab, space = fit.parts()
    train_matrix = space.interaction_csr(split.train)
    probability = sampling_probability(train_matrix)
    model = fam.build(config, vocab.sizes(), float(split.train["user_rating"].mean()))
    model.set_history(space.history(split.train))
    compile_towers(model, config, vocab.sizes(), len(split.train))
    fit_args = fit_input(
        space.tower_maker(split.train, probability), len(split.train), stars_of(split.train), config.batch_size, seed
    )
    hits = hit_curve(model, space, split, train_matrix)
    truth = split.test["user_rating"].to_numpy()

    def curve() -> dict[str, float]:
        return {**hits(), "test_rmse": rmse(truth, stars_predicted(model, space, split.test))}

    bridge = HookBridge(hooks, extra_epoch_logs=curve)
    distil = config.retrieval_weight > 0 and config.distill_weight > 0 and teacher_fits(vocab.sizes())
    seconds = fit_with_teacher(model, fit_args, config, train_matrix, bridge, distil)
    report, extras = multitask_evaluation(model, space, split)
    report["epochs_run"] = len(bridge.history)
    result = train_result(fit, model, bridge, report, seconds)
    result.extras.update(extras)
    return result
