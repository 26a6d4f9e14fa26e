"""Interaction strengths and prediction breakdowns agree with the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.evaluation.scoring import predict_ratings
from recexplore.models.dlrm import DLRM_FEATURES, DLRMConfig
from recexplore.serving.interactions import feature_names, interaction_pairs, interaction_strength, prediction_breakdown
from recexplore.training.trainer import TrainResult, train


@pytest.fixture(scope="module")
def trained(ml_folder: Path) -> tuple[TrainResult, object, object]:
    from recexplore.data.features import FeatureSpace

    data = load_movielens(ml_folder)
    split = make_split(data)
    result = train("dlrm", data, split, DLRMConfig(embedding_dim=4, top_layers=(8,), epochs=2, batch_size=256))
    return result, FeatureSpace(result.vocab, data), split


def test_strength_is_symmetric_nonnegative_and_named(trained) -> None:
    result, space, split = trained
    matrix = interaction_strength(result.model, space, split.test, sample=100)
    assert result.model.features == DLRM_FEATURES  # the default config has every feature, audience too
    assert matrix.shape == (len(DLRM_FEATURES), len(DLRM_FEATURES)) == (len(feature_names(result.model)),) * 2
    assert "audience" in feature_names(result.model)
    np.testing.assert_allclose(matrix, matrix.T, rtol=1e-5)
    off = ~np.eye(len(matrix), dtype=bool)
    assert np.isnan(np.diag(matrix)).all()  # never used by DotInteraction(self_interaction=False)
    assert np.isfinite(matrix[off]).all() and (matrix[off] >= 0).all() and matrix[off].sum() > 0


def test_strength_uses_real_rows_not_the_oov_row(trained) -> None:
    result, space, split = trained
    a = interaction_strength(result.model, space, split.test, sample=50, seed=1)
    b = interaction_strength(result.model, space, split.test, sample=50, seed=2)
    assert not np.allclose(a, b)  # different real examples, different strengths
    with pytest.raises(ValueError, match="ratings"):
        interaction_strength(result.model, space, split.test.head(0))


def test_breakdown_sums_to_the_prediction(trained) -> None:
    result, space, split = trained
    row = split.test.iloc[[3]]
    parts = prediction_breakdown(result.model, space, row)
    predicted = predict_ratings(result.model, space.dlrm_features(row))[0]
    assert np.clip(sum(parts.values()), 1, 5) == pytest.approx(predicted, abs=1e-4)


def test_interaction_pairs_match_the_embeddings(trained) -> None:
    result, space, split = trained
    row = split.test.iloc[[0]]
    pairs = interaction_pairs(result.model, space, row)
    n = len(DLRM_FEATURES)
    assert len(pairs) == n * (n - 1) // 2
    emb = [np.asarray(e)[0] for e in result.model.feature_embeddings(space.dlrm_features(row))]
    first = pairs.iloc[0]  # DotInteraction's first output: features 1 x 0
    names = feature_names(result.model)
    assert (first["feature a"], first["feature b"]) == (names[1], names[0])
    assert first["dot"] == pytest.approx(float(emb[1] @ emb[0]), abs=1e-5)
