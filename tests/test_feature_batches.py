"""Model inputs for many rows: whole while they fit in one piece, else gathered a batch at a time
(fit) or a piece at a time (predictions), with the same rows, labels and numbers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from recexplore.config import memory
from recexplore.data.batches import FeatureBatches, fit_input, in_pieces, row_bytes, rows_in_one_piece
from recexplore.data.features import FeatureSpace, Vocabularies
from recexplore.evaluation.scoring import predict_ratings, rating_predictions
from recexplore.models.dlrm import DLRMConfig
from recexplore.training.trainer import ProgressHooks, train
from tests.test_training import TINY_DLRM, TINY_TOWERS


def _small_pieces(monkeypatch: pytest.MonkeyPatch, rows: int, make) -> None:
    """Make one piece hold `rows` rows of `make`'s inputs."""
    monkeypatch.setattr(memory, "INPUT_BYTES_IN_ONE_PIECE", rows * row_bytes(make))


def test_the_maker_gives_dlrm_features_of_any_rows(space, ratings) -> None:
    make = space.dlrm_maker(ratings)
    whole, some = space.dlrm_features(ratings), make(np.array([3, 0, 7]))
    assert set(some) == set(whole)
    for name, values in whole.items():
        np.testing.assert_array_equal(some[name], values[[3, 0, 7]])
    assert row_bytes(make) == sum(v.nbytes for v in whole.values()) // len(ratings)


def test_small_inputs_go_to_fit_whole(space, ratings) -> None:
    labels = ratings["user_rating"].to_numpy(np.float32)
    x, y, shuffle = fit_input(space.dlrm_maker(ratings), len(ratings), labels, 16, seed=0)
    assert isinstance(x, dict) and y is labels and shuffle
    np.testing.assert_array_equal(x["movie_id"], space.dlrm_features(ratings)["movie_id"])


def test_large_inputs_stream_every_row_once_an_epoch_with_its_label(
    space, ratings, monkeypatch: pytest.MonkeyPatch
) -> None:
    make = space.dlrm_maker(ratings)
    _small_pieces(monkeypatch, 10, make)
    stars = ratings["user_rating"].to_numpy(np.float32)
    movies = space.dlrm_features(ratings)["movie_id"]
    x, y, shuffle = fit_input(make, len(ratings), stars, 16, seed=3)
    assert isinstance(x, FeatureBatches) and y is None and not shuffle
    assert len(x) == -(-len(ratings) // 16)

    def epoch() -> list[tuple[int, float]]:
        pairs = []
        for i in range(len(x)):
            inputs, labels = x[i]
            assert len(labels) <= 16
            pairs += list(zip(inputs["movie_id"].tolist(), labels.tolist(), strict=True))
        return pairs

    first = epoch()
    assert sorted(first) == sorted(zip(movies.tolist(), stars.tolist(), strict=True))  # every row once, label aligned
    x.on_epoch_end()
    second = epoch()
    assert sorted(second) == sorted(first) and second != first  # a fresh order each epoch
    again, _, _ = fit_input(make, len(ratings), stars, 16, seed=3)
    assert [
        p for i in range(len(again)) for p in zip(again[i][0]["movie_id"].tolist(), again[i][1].tolist(), strict=True)
    ] == first


def test_labels_absent_give_inputs_only(space, ratings, monkeypatch: pytest.MonkeyPatch) -> None:
    make = space.dlrm_maker(ratings)
    _small_pieces(monkeypatch, 10, make)
    x, _, _ = fit_input(make, len(ratings), None, 16, seed=0)
    assert isinstance(x[0], dict) and len(x[0]["user_id"]) == 16


def test_in_pieces_joins_the_pieces_in_row_order(space, ratings, monkeypatch: pytest.MonkeyPatch) -> None:
    make = space.dlrm_maker(ratings)
    whole = in_pieces(make, len(ratings), lambda x: x["movie_id"] * 10 + x["user_id"])
    _small_pieces(monkeypatch, 7, make)
    calls: list[int] = []

    def apply(x: dict) -> np.ndarray:
        calls.append(len(x["movie_id"]))
        return x["movie_id"] * 10 + x["user_id"]

    np.testing.assert_array_equal(in_pieces(make, len(ratings), apply), whole)
    assert max(calls) == 7 and sum(calls) == len(ratings) and len(calls) == -(-len(ratings) // 7)


def test_a_streamed_dlrm_trains_and_predicts_as_in_one_piece(data_split, monkeypatch: pytest.MonkeyPatch) -> None:
    data, split = data_split
    whole = train("dlrm", data, split, TINY_DLRM, seed=1)
    space = FeatureSpace(whole.vocab, data)
    in_one = predict_ratings(whole.model, space.dlrm_features(split.test))
    _small_pieces(monkeypatch, 200, space.dlrm_maker(split.test))
    np.testing.assert_allclose(rating_predictions(whole.model, space, split.test), in_one, rtol=1e-5, atol=1e-5)
    assert rows_in_one_piece(space.dlrm_maker(split.train)) < len(split.train) / 4  # so training streams
    streamed = train("dlrm", data, split, TINY_DLRM, seed=1)
    assert len(streamed.history) == TINY_DLRM.epochs
    # Other batches, so other weights, but the same model learnt as well (a seed's spread apart).
    assert streamed.metrics["test_rmse"] < streamed.metrics["global_mean_rmse"]
    assert abs(streamed.metrics["test_rmse"] - whole.metrics["test_rmse"]) < 0.1
    early = train("dlrm", data, split, DLRMConfig.from_dict({**TINY_DLRM.to_dict(), "early_stopping": True}), seed=1)
    assert early.metrics["best_val_rmse"] == min(h["val_rmse"] for h in early.history)


def test_streamed_towers_learn_and_cancel(data_split, monkeypatch: pytest.MonkeyPatch) -> None:
    data, split = data_split
    space = FeatureSpace(Vocabularies.build(data), data)
    make = space.tower_maker(split.train, np.ones(space.n_movies, np.float32))
    _small_pieces(monkeypatch, 200, make)
    assert rows_in_one_piece(make) < len(split.train) / 4  # so training streams
    result = train("towers", data, split, replace(TINY_TOWERS, epochs=8), seed=1)
    assert len(result.history) == 8 and np.isfinite(result.history[-1]["loss"])
    assert result.metrics["hit_rate_at_10"] > 2 * 10 / len(data.movies)
    batches: list[int] = []
    hooks = ProgressHooks(on_batch=lambda b, logs: batches.append(b), should_stop=lambda: True)
    assert train("towers", data, split, TINY_TOWERS, hooks=hooks).cancelled and len(batches) == 1
