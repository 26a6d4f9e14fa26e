"""The rating peers a model's RMSE is read against: the global mean and bias-only (ridge chosen on validation)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recexplore.data.movielens import DataError
from recexplore.data.splits import make_split, validation_slice
from recexplore.evaluation.accuracy import rmse
from recexplore.models.biases import BIAS_LAMBDAS, CodedRatings, fit_biases


def choose_bias_lambda(train: pd.DataFrame, seed: int) -> float:
    """The ridge strength with the lowest RMSE on a seeded validation slice of `train`."""
    fit, val = validation_slice(train, seed)
    coded, truth = CodedRatings.of(fit), val["user_rating"].to_numpy()
    users, movies = val["user_id"].to_numpy(), val["movie_id"].to_numpy()
    scores = {lam: rmse(truth, coded.fit(lam).predict(users, movies)) for lam in BIAS_LAMBDAS}
    return min(scores, key=scores.get)


def rating_baselines(train: pd.DataFrame, test: pd.DataFrame, seed: int = 42) -> dict[str, float]:
    """Test RMSE of the global mean and of bias-only, both fitted on `train`.

    Returns:
        global_mean_rmse, bias_only_rmse and bias_lambda (the validation-chosen ridge strength).
    """
    return rating_baselines_and_biases(train, test, seed)[0]


def rating_baselines_and_biases(
    train: pd.DataFrame, test: pd.DataFrame, seed: int = 42
) -> tuple[dict[str, float], np.ndarray]:
    """`rating_baselines`, and the bias-only predictions of the test rows they were measured on."""
    truth = test["user_rating"].to_numpy()
    lam = choose_bias_lambda(train, seed)
    biases = fit_biases(train, lam)
    global_mean = np.full(len(truth), float(train["user_rating"].mean()))
    predicted = biases.predict(test["user_id"].to_numpy(), test["movie_id"].to_numpy())
    baselines = {
        "global_mean_rmse": rmse(truth, global_mean),
        "bias_only_rmse": rmse(truth, predicted),
        "bias_lambda": lam,
    }
    return baselines, predicted


_SAVED: dict[tuple[str, str, int], dict[str, float]] = {}  # (fingerprint, split, seed) -> baselines
_SAVED_MAX = 32


def split_baselines(data: Any, split_name: str, split_seed: int) -> dict[str, float] | None:
    """A saved rating model's peers: the global-mean and bias-only RMSE of its split (a fraction
    of a second, kept for the process), or None when the split cannot be made from `data`."""
    key = (data.fingerprint, split_name, int(split_seed))
    if key not in _SAVED:
        try:
            split = make_split(data, split_name, seed=split_seed)
        except DataError:
            return None
        if len(_SAVED) >= _SAVED_MAX:
            _SAVED.pop(next(iter(_SAVED)))
        _SAVED[key] = rating_baselines(split.train, split.test, split_seed)
    return dict(_SAVED[key])
