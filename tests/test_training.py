"""train(...) on synthetic data: results, hooks, cancellation, reproducibility."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import keras
import numpy as np
import pytest

from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.families import FAMILY_MODULES
from recexplore.models.dlrm import DLRMConfig
from recexplore.models.towers import TowerConfig
from recexplore.training.device import device_description
from recexplore.training.trainer import ProgressHooks, TrainResult, train

TINY_DLRM = DLRMConfig(embedding_dim=8, bottom_layers=(8,), top_layers=(16,), batch_size=256, epochs=2)
TINY_TOWERS = TowerConfig(layers=(16,), embedding_dim=8, batch_size=128, epochs=2)


def test_dlrm_result_has_metrics_history_and_device(data_split) -> None:
    data, split = data_split
    epochs: list[int] = []
    result = train("dlrm", data, split, TINY_DLRM, hooks=ProgressHooks(on_epoch=lambda e, logs: epochs.append(e)))
    assert isinstance(result, TrainResult) and result.kind == "dlrm"
    assert 0.0 < result.metrics["test_rmse"] < 4.0 and 0.0 < result.metrics["test_mae"] <= result.metrics["test_rmse"]
    assert [h["epoch"] for h in result.history] == [e + 1 for e in epochs]
    assert {"loss", "rmse", "test_rmse"} <= set(result.history[0]) and "val_rmse" not in result.history[0]
    # The per-epoch held-out curve ends where the reported test RMSE is: the same rows, the same weights.
    assert result.history[-1]["test_rmse"] == pytest.approx(result.metrics["test_rmse"], abs=1e-5)
    assert result.metrics["epochs_run"] == TINY_DLRM.epochs and "best_val_rmse" not in result.metrics
    assert result.params > 0 and result.train_seconds > 0
    assert result.device == device_description()
    assert result.split == split.describe() and result.data_fingerprint == data.fingerprint


def test_dlrm_early_stopping_holds_out_a_slice_and_keeps_its_best_epoch(data_split) -> None:
    data, split = data_split
    config = DLRMConfig.from_dict({**TINY_DLRM.to_dict(), "early_stopping": True, "epochs": 3})
    result = train("dlrm", data, split, config)
    assert {"loss", "rmse", "val_loss", "val_rmse"} <= set(result.history[0]) and "test_rmse" not in result.history[0]
    assert result.metrics["best_val_rmse"] == min(h["val_rmse"] for h in result.history)


@pytest.mark.parametrize("objective", ["softmax", "rating_mse"])
def test_towers_report_model_and_popularity_numbers(data_split, objective: str) -> None:
    data, split = data_split
    result = train(
        "towers", data, split, TowerConfig(layers=(16,), embedding_dim=8, batch_size=128, epochs=2, objective=objective)
    )
    for key in ("hit_rate_at_10", "hit_rate_at_100", "seed_top100_accuracy", "seed_top100_accuracy_all"):
        assert 0.0 <= result.metrics[key] <= 1.0
        assert 0.0 <= result.metrics[f"popularity_{key}"] <= 1.0
    assert len(result.history) == 2 and "hit_rate_at_100" in result.history[-1]


def test_same_seed_same_result(data_split) -> None:
    data, split = data_split
    first = train("dlrm", data, split, TINY_DLRM, seed=7)
    second = train("dlrm", data, split, TINY_DLRM, seed=7)
    assert first.metrics["test_rmse"] == pytest.approx(second.metrics["test_rmse"], abs=1e-6)


def test_cancel_stops_within_one_batch(data_split) -> None:
    data, split = data_split
    batches: list[int] = []
    hooks = ProgressHooks(on_batch=lambda b, logs: batches.append(b), should_stop=lambda: True)
    config = TowerConfig(layers=(16,), embedding_dim=8, batch_size=64, epochs=5)
    result = train("towers", data, split, config, hooks=hooks)
    assert result.cancelled
    assert len(batches) == 1
    assert len(result.history) <= 1


def test_unknown_kind_and_wrong_config_are_value_errors(data_split) -> None:
    data, split = data_split
    with pytest.raises(ValueError, match=f"model family must be one of {', '.join(FAMILY_MODULES)}, got 'svd'"):
        train("svd", data, split)
    with pytest.raises(ValueError, match="DLRMConfig"):
        train("dlrm", data, split, TINY_TOWERS)


def test_towers_learn_more_than_chance(data_split) -> None:
    data, split = data_split
    result = train("towers", data, split, TowerConfig(layers=(16,), embedding_dim=8, batch_size=128, epochs=8))
    chance_at_10 = 10 / len(data.movies)
    assert result.metrics["hit_rate_at_10"] > 2 * chance_at_10
    assert np.isfinite(result.history[-1]["loss"])


def test_dlrm_biases_start_at_the_ridge_fit(ml_folder: Path) -> None:
    """With bias_start the biases begin at the bias-only fit of the training rows: at a learning
    rate too small to move them they are still that fit after training."""
    from recexplore.data.features import FeatureSpace
    from recexplore.models.biases import fit_biases

    data = load_movielens(ml_folder)
    split = make_split(data)
    config = DLRMConfig(embedding_dim=4, top_layers=(8,), epochs=1, batch_size=256, learning_rate=1e-12, bias_start=5.0)
    result = train("dlrm", data, split, config, seed=3)
    space = FeatureSpace(result.vocab, data)
    fit = fit_biases(split.train, 5.0)  # the rows it trains on: the whole training part
    user = keras.ops.convert_to_numpy(result.model.user_bias.embeddings)[:, 0]
    movie = keras.ops.convert_to_numpy(result.model.movie_bias.embeddings)[:, 0]
    np.testing.assert_allclose(user[space.user_index(fit.user_ids)], fit.user, atol=1e-4)
    np.testing.assert_allclose(movie[space.movie_index(fit.movie_ids)], fit.movie, atol=1e-4)
    assert np.abs(fit.user).max() > 0.05  # the fit is not all zeros, so the check means something
    zero = train("dlrm", data, split, replace(config, bias_start=0.0), seed=3)
    assert np.abs(keras.ops.convert_to_numpy(zero.model.user_bias.embeddings)).max() < 1e-6


def test_towers_learn_from_the_ease_teacher_only_when_asked(data_split) -> None:
    """distill_weight 0 trains on the ratings alone; above 0 the EASE teacher changes the model,
    and it is dropped once training ends (never saved)."""
    data, split = data_split
    plain = train("towers", data, split, replace(TINY_TOWERS, distill_weight=0.0), seed=1)
    taught = train("towers", data, split, TINY_TOWERS, seed=1)
    assert TINY_TOWERS.distill_weight > 0
    assert taught.model.teacher is None and plain.model.teacher is None
    differ = [not np.allclose(a, b) for a, b in zip(plain.model.get_weights(), taught.model.get_weights(), strict=True)]
    assert any(differ)
