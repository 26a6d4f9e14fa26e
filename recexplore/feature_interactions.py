"""What a DLRM's DotInteraction sees: feature-pair strengths over real examples and one prediction's parts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from keras import ops

from recexplore.features import FeatureSpace
from recexplore.models.dlrm import DLRM, SCORE_PARTS

FEATURE_LABELS = {
    "user_id": "user id",
    "movie_id": "movie id",
    "user_gender": "gender",
    "user_zip": "zip region",
    "user_occupation": "occupation",
    "age_bucket": "age bucket",
    "movie_genres": "genres",
    "user_history": "rated movies",
    "movie_audience": "audience",
    "dense": "dense (age, time)",
}
PART_LABELS = {
    "global_mean": "global mean",
    "user_bias": "user bias",
    "movie_bias": "movie bias",
    "factorisation": "user-side x movie-side dot",
    "top_mlp": "top MLP over DotInteraction",
}


def feature_names(model: DLRM) -> list[str]:
    """Readable names of the model's DotInteraction inputs, in order."""
    return [FEATURE_LABELS[f] for f in model.features]


def _embedded(model: DLRM, features: dict[str, np.ndarray]) -> np.ndarray:
    """(n, n_features, dim) embeddings of a batch."""
    return np.stack([ops.convert_to_numpy(e) for e in model.feature_embeddings(features)], axis=1)


def interaction_strength(
    model: DLRM, space: FeatureSpace, ratings: pd.DataFrame, sample: int = 2000, seed: int = 0
) -> np.ndarray:
    """Mean |dot(e_i, e_j)| over a sample of real ratings, shape (n_features, n_features).

    The keras-io tutorial inspects only embedding row 0 (the out-of-vocabulary row);
    here every pair is averaged over actual (user, movie, time) examples. The diagonal is
    NaN: DotInteraction (self_interaction=False) never uses a feature's dot with itself, and
    that squared norm would otherwise be the brightest cell.
    """
    if len(ratings) == 0:
        raise ValueError("ratings must hold at least one row to measure interactions")
    rows = ratings.sample(n=min(sample, len(ratings)), random_state=seed)
    emb = _embedded(model, space.dlrm_features(rows))
    strength = np.abs(np.einsum("nfd,ngd->nfg", emb, emb)).mean(axis=0)
    np.fill_diagonal(strength, np.nan)
    return strength


def interaction_pairs(
    model: DLRM, space: FeatureSpace, rating: pd.DataFrame, by_strength: bool = False
) -> pd.DataFrame:
    """The DotInteraction output for one rating, one row per feature pair.

    Rows follow the layer's output order, or largest |dot| first with `by_strength`.
    """
    parts = model.score_parts(space.dlrm_features(rating.head(1)))
    values = ops.convert_to_numpy(parts["interactions"])[0]
    names = feature_names(model)
    pairs = [(names[i], names[j]) for i in range(len(names)) for j in range(i)]  # DotInteraction's lower triangle
    frame = pd.DataFrame({"feature a": [a for a, _ in pairs], "feature b": [b for _, b in pairs], "dot": values})
    if by_strength:
        frame = frame.reindex(frame["dot"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    return frame


def prediction_breakdown(model: DLRM, space: FeatureSpace, rating: pd.DataFrame) -> dict[str, float]:
    """The additive parts of one rating's prediction; they sum to the unclipped prediction."""
    parts = model.score_parts(space.dlrm_features(rating.head(1)))
    return {PART_LABELS[k]: float(ops.convert_to_numpy(parts[k])[0]) for k in SCORE_PARTS}
