"""A multi-task model's test figures: the retrieval evaluation of its towers and the rating
metrics of its stars, each beside its task's peers (popularity and EASE; global mean, bias only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from recexplore.config.metrics import RATING_BASELINES
from recexplore.config.trade_off import BALANCED
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


def trade_off(
    points: list[tuple[float, Mapping[str, float]]],
    dlrm: Mapping[str, float] | None = None,
    towers: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The trade-off view's numbers: each (retrieval weight, metrics) as a point of RMSE against
    hit-rate@10, the rating-only DLRM's and retrieval-only towers' metrics as reference points, and
    a sentence on what the weight nearest BALANCED gives up on each side (against the family's own
    single-task ends, and the references where given)."""
    rows = [
        {"weight": float(w), "test_rmse": float(m["test_rmse"]), "hit_rate_at_10": float(m["hit_rate_at_10"])}
        for w, m in sorted(points, key=lambda p: p[0])
    ]
    references = {
        name: {key: float(m[key])}
        for name, m, key in ((DLRM_POINT, dlrm, "test_rmse"), (TOWERS_POINT, towers, "hit_rate_at_10"))
        if m is not None and key in m
    }
    return {"points": rows, "references": references, "sentence": _sentence(rows, dlrm, towers)}


DLRM_POINT, TOWERS_POINT = "DLRM (rating only)", "two towers, 1 layer (retrieval only)"


def _sentence(
    rows: list[dict[str, float]], dlrm: Mapping[str, float] | None, towers: Mapping[str, float] | None
) -> str:
    if not rows:
        return "No multi-task model yet: train the family at a few retrieval weights."
    middle = min(rows, key=lambda r: (abs(r["weight"] - BALANCED), r["weight"]))
    rating_end, retrieval_end = rows[0], rows[-1]  # the weights nearest the rating loss alone, and retrieval's
    rating_side = [(f"weight {rating_end['weight']:g}", rating_end["test_rmse"])] if rating_end is not middle else []
    retrieval_side = (
        [(f"weight {retrieval_end['weight']:g}", retrieval_end["hit_rate_at_10"])]
        if retrieval_end is not middle
        else []
    )
    if dlrm is not None and "test_rmse" in dlrm:
        rating_side.append(("the DLRM", float(dlrm["test_rmse"])))
    if towers is not None and "hit_rate_at_10" in towers:
        retrieval_side.append(("the 1-layer towers", float(towers["hit_rate_at_10"])))
    rmse_text = " and ".join(f"{middle['test_rmse'] - v:+.3f} against {who}" for who, v in rating_side)
    hit_text = " and ".join(
        f"{middle['hit_rate_at_10'] - v:+.3f} ({(middle['hit_rate_at_10'] / v - 1) if v else 0.0:+.0%}) against {who}"
        for who, v in retrieval_side
    )
    return (
        f"At retrieval weight {middle['weight']:g} one model does both: its RMSE is {middle['test_rmse']:.3f}"
        + (f" ({rmse_text})" if rmse_text else "")
        + f" and its hit-rate@10 {middle['hit_rate_at_10']:.3f}"
        + (f" ({hit_text})" if hit_text else "")
        + "."
    )
