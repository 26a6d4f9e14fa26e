"""What a rating model learned about feature pairs: the DLRM's DotInteraction strengths over real
examples, a DCN's cross weights per feature pair, how far the two agree, and one prediction's parts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from keras import ops

from recexplore.data.features import FeatureSpace
from recexplore.models.dcn import DCN, block_norms
from recexplore.models.dlrm import DLRM
from recexplore.models.rating import SCORE_PARTS, RatingModel

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
}


def feature_names(model: RatingModel) -> list[str]:
    """Readable names of the model's per-feature embeddings (its interaction inputs), in order."""
    return [FEATURE_LABELS[f] for f in model.features]


def _embedded(model: RatingModel, features: dict[str, np.ndarray]) -> np.ndarray:
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


def prediction_breakdown(model: RatingModel, space: FeatureSpace, rating: pd.DataFrame) -> dict[str, float]:
    """The additive parts of one rating's prediction; they sum to the unclipped prediction."""
    parts = model.score_parts(space.dlrm_features(rating.head(1)))
    labels = {**PART_LABELS, "top_mlp": model.RESIDUAL_LABEL}
    return {labels[k]: float(ops.convert_to_numpy(parts[k])[0]) for k in SCORE_PARTS}


def cross_strength(model: DCN) -> np.ndarray:
    """The Frobenius norm of each feature-pair block of the first cross layer's weight matrix W
    (W = U V when low rank), shape (n_features, n_features), as in the DCN-V2 paper's figure.

    Row i, column j: how strongly feature j's part of the input enters the cross term that
    multiplies feature i's embedding (x0_i * (W_ij x_j)). The diagonal is real here: a cross
    layer does cross a feature with itself. Raises ValueError without cross layers (the DNN).
    """
    weights = model.cross_matrix()
    if weights is None:
        raise ValueError("this model has no cross layers (the DNN control): there is no cross matrix to show")
    return block_norms(weights, len(model.features), model.embedding_dim)


def pair_matrix(
    kind: str, model: RatingModel, space: FeatureSpace, ratings: pd.DataFrame, sample: int = 2000
) -> tuple[str, np.ndarray]:
    """What a rating model learned about feature pairs, as its family shows it: ('cross', its
    first cross layer's block norms) for a family with the cross-matrix view, else ('dot',
    DotInteraction's strengths over a sample of `ratings`). ValueError for a DCN with no cross layers."""
    from recexplore.families import CROSS_MATRIX, family

    if family(kind).offers(CROSS_MATRIX):
        return "cross", cross_strength(model)
    return "dot", interaction_strength(model, space, ratings, sample=sample)


def pair_strengths(matrix: np.ndarray) -> np.ndarray:
    """One strength per unordered feature pair (i > j): the root of the two blocks' squared
    strengths (equal for DotInteraction's symmetric matrix), the diagonal left out."""
    m = np.nan_to_num(np.asarray(matrix, dtype=np.float64))
    rows, cols = np.tril_indices(m.shape[0], k=-1)
    return np.sqrt((np.square(m[rows, cols]) + np.square(m[cols, rows])) / 2)


def strongest_pairs(names: list[str], matrix: np.ndarray, n: int = 3) -> list[tuple[str, str, float]]:
    """The `n` strongest feature pairs (diagonal left out), strongest first."""
    rows, cols = np.tril_indices(len(names), k=-1)
    values = pair_strengths(matrix)
    order = np.argsort(-values, kind="stable")[:n]
    return [(names[rows[i]], names[cols[i]], float(values[i])) for i in order]


def pair_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation of two models' pair strengths over the same feature pairs:
    1 when they rank the pairs alike, 0 when their rankings are unrelated."""
    from scipy import stats

    x, y = pair_strengths(a), pair_strengths(b)
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def pairs_sentence(names: list[str], matrix: np.ndarray, what: str) -> str:
    """'Strongest pairs (…): a x b, c x d and e x f.'"""
    pairs = strongest_pairs(names, matrix)
    listed = [f"{a} x {b}" for a, b, _ in pairs]
    text = ", ".join(listed[:-1]) + f" and {listed[-1]}" if len(listed) > 1 else "".join(listed)
    return f"Strongest pairs ({what}): {text}."
