"""The rating baselines: the global mean and ridge-fitted user + movie biases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.evaluation.accuracy import rmse
from recexplore.evaluation.rating_peers import rating_baselines
from recexplore.models.biases import BIAS_LAMBDAS, fit_biases


def _frame(rows: list[tuple[int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "user_rating"])


def test_biases_hand_computed() -> None:
    # One user, two movies rated 5 and 3: mean 4; at the fixed point the user's offset is 0 and
    # each movie's is +-1 / (1 + lambda). lambda = 1 gives 4.5 and 3.5.
    biases = fit_biases(_frame([(1, 10, 5), (1, 20, 3)]), lam=1.0)
    assert biases.mean == 4.0
    assert list(biases.user_ids) == [1] and biases.user[0] == pytest.approx(0.0, abs=1e-12)
    assert list(biases.movie_ids) == [10, 20] and list(biases.movie) == pytest.approx([0.5, -0.5])
    assert biases.predict(np.array([1, 1]), np.array([10, 20])) == pytest.approx([4.5, 3.5])


def test_unknown_ids_get_the_mean_and_predictions_are_clipped() -> None:
    biases = fit_biases(_frame([(1, 10, 5), (2, 10, 5), (1, 20, 5)]), lam=0.0)
    assert biases.predict(np.array([99]), np.array([99])) == pytest.approx([5.0])
    assert fit_biases(_frame([(1, 10, 1), (1, 20, 1)]), lam=0.0).predict(np.array([1]), np.array([10])) == [1.0]


def test_no_ridge_fits_an_additive_table_exactly() -> None:
    # Ratings that are exactly mean + user + movie offsets are reproduced with lambda = 0.
    rows = [(u, m, 2 + u + (m // 10)) for u in (0, 1, 2) for m in (10, 20) if (u, m) != (2, 20)]
    biases = fit_biases(_frame(rows), lam=0.0, iterations=200)
    frame = _frame(rows)
    fitted = biases.predict(frame["user_id"].to_numpy(), frame["movie_id"].to_numpy())
    assert fitted == pytest.approx(frame["user_rating"].to_numpy(), abs=1e-6)


def test_rating_baselines_recover_planted_biases() -> None:
    # Stars = 3.5 + user offset + movie offset + noise (sd 0.3): bias-only gets near the noise.
    rng = np.random.default_rng(0)
    users, movies = rng.integers(1, 201, 20_000), rng.integers(1, 301, 20_000)
    offset_u, offset_m = rng.normal(0, 0.6, 201), rng.normal(0, 0.6, 301)
    stars = 3.5 + offset_u[users] + offset_m[movies] + rng.normal(0, 0.3, len(users))
    frame = pd.DataFrame({"user_id": users, "movie_id": movies, "user_rating": stars})
    frame = frame.drop_duplicates(["user_id", "movie_id"]).reset_index(drop=True)
    train, test = frame.iloc[: len(frame) * 4 // 5], frame.iloc[len(frame) * 4 // 5 :]
    found = rating_baselines(train, test, seed=3)
    assert found["global_mean_rmse"] > 0.8 and found["bias_only_rmse"] < 0.4
    assert found["bias_lambda"] in BIAS_LAMBDAS


def test_global_mean_baseline_is_the_training_mean(ml_folder: Path) -> None:
    split = make_split(load_movielens(ml_folder, download=False), "u1")
    found = rating_baselines(split.train, split.test, seed=3)
    truth = split.test["user_rating"].to_numpy()
    assert found["global_mean_rmse"] == pytest.approx(
        rmse(truth, np.full(len(truth), split.train["user_rating"].mean()))
    )
