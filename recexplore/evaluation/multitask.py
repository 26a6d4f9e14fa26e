"""A multi-task model's test figures: the retrieval evaluation of its towers and the rating
metrics of its stars, each beside its task's peers (popularity and EASE; global mean, bias only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from recexplore.config.metrics import RATING_BASELINES
from recexplore.data.batches import in_pieces
from recexplore.data.features import FeatureSpace
from recexplore.data.splits import Split
from recexplore.evaluation.accuracy import mae, rmse
from recexplore.evaluation.ease_report import saved_report
from recexplore.evaluation.rating_peers import rating_baselines, split_baselines
from recexplore.evaluation.scoring import towers_evaluation

if TYPE_CHECKING:
    import pandas as pd


def stars_predicted(model: keras.Model, space: FeatureSpace, ratings: pd.DataFrame) -> np.ndarray:
    """The model's stars for every row of `ratings`, from the towers' inputs a bounded piece at a time."""
    no_sampling = np.zeros(space.n_movies, dtype=np.float32)  # read by training only
    return in_pieces(space.tower_maker(ratings, no_sampling), len(ratings), model.predict_stars)


def multitask_evaluation(
    model: keras.Model, space: FeatureSpace, split: Split
) -> tuple[dict[str, float], dict[str, Any]]:
    """`towers_evaluation` (hit rates, list metrics, popularity, by user group) with the rating
    metrics of the model's stars (RMSE, MAE, the global-mean and bias-only RMSE) beside them."""
    metrics, extras = towers_evaluation(model, space, split)
    stars, truth = stars_predicted(model, space, split.test), split.test["user_rating"].to_numpy()
    baselines = rating_baselines(split.train, split.test, split.seed)
    metrics.update(test_rmse=rmse(truth, stars), test_mae=mae(truth, stars))
    metrics.update({k: baselines[k] for k in RATING_BASELINES})
    return metrics, extras


def multitask_metrics(model: keras.Model, space: FeatureSpace, split: Split) -> dict[str, float]:
    """Both tasks' test metrics of a trained or loaded multi-task model (`Task.evaluator`)."""
    return multitask_evaluation(model, space, split)[0]


def saved_peers(data: Any, split_name: str, split_seed: int) -> dict[str, float] | None:
    """Both tasks' peers beside a saved multi-task model: the rating baselines, and EASE once computed."""
    found = {
        **(saved_report(data, split_name, split_seed) or {}),
        **(split_baselines(data, split_name, split_seed) or {}),
    }
    return found or None
