"""Model shapes, config validation, get_config round trips and save/load equality."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from recexplore.config.settings import parse_layers
from recexplore.data.features import DENSE_FEATURES, FeatureSpace
from recexplore.models.dlrm import DLRM, DLRM_FEATURES, DLRMConfig, build_dlrm
from recexplore.models.towers import (
    AccidentalHitRemoval,
    TowerConfig,
    TwoTowerModel,
    build_towers,
)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"embedding_dim": 0}, "embedding_dim"),
        ({"embedding_dim": -3}, "embedding_dim"),
        ({"embedding_dim": "32"}, "embedding_dim"),
        ({"embedding_dim": True}, "embedding_dim"),
        ({"embedding_dim": 10**7}, "embedding_dim"),
        ({"top_layers": "64"}, "top_layers"),
        ({"top_layers": (64, 0)}, "top_layers"),
        ({"bottom_layers": (1.5,)}, "bottom_layers"),
        ({"dropout": 1.0}, "dropout"),
        ({"l2": -1.0}, "l2"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"batch_size": 0}, "batch_size"),
        ({"epochs": -1}, "epochs"),
        ({"patience": 0}, "patience"),
    ],
)
def test_dlrm_config_rejects_bad_values_naming_the_argument(kwargs: dict, argument: str) -> None:
    with pytest.raises(ValueError, match=argument):
        DLRMConfig(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"layers": ()}, "layers"),
        ({"layers": (64, -1)}, "layers"),
        ({"layers": "64,32"}, "layers"),
        ({"objective": "hinge"}, "objective"),
        ({"temperature": 0}, "temperature"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"epochs": 0}, "epochs"),
    ],
)
def test_tower_config_rejects_bad_values_naming_the_argument(kwargs: dict, argument: str) -> None:
    with pytest.raises(ValueError, match=argument):
        TowerConfig(**kwargs)


@pytest.mark.parametrize("text", ["", "64,", "a,b", "-1", "64;;32", "0", "６４", "99999999999999999999"])
def test_parse_layers_rejects_bad_text(text: str) -> None:
    with pytest.raises(ValueError, match="layers"):
        parse_layers(text)


def test_parse_layers_accepts_presets() -> None:
    assert parse_layers("128, 64,32") == (128, 64, 32)
    assert parse_layers("64; 32") == (64, 32)  # the one parser of the CLI and the pages: ';' too


def test_configs_round_trip_through_dicts() -> None:
    dlrm = DLRMConfig(top_layers=(16,), dropout=0.2)
    assert DLRMConfig.from_dict(dlrm.to_dict()) == dlrm
    towers = TowerConfig(layers=(128, 64, 32), objective="rating_mse")
    assert TowerConfig.from_dict(towers.to_dict()) == towers


def _dlrm(space: FeatureSpace, ratings) -> DLRM:
    model = build_dlrm(DLRMConfig(embedding_dim=8, top_layers=(16,)), space.vocab.sizes(), len(DENSE_FEATURES), 3.5)
    model.set_history(space.interaction_matrix(ratings))
    return model


def test_dlrm_shapes_and_feature_embeddings(space: FeatureSpace, ratings) -> None:
    model = _dlrm(space, ratings)
    x = space.dlrm_features(ratings)
    out = keras.ops.convert_to_numpy(model(x))
    assert out.shape == (len(ratings), 1)
    embedded = model.feature_embeddings(x)
    assert len(embedded) == len(DLRM_FEATURES)
    assert all(tuple(e.shape) == (len(ratings), 8) for e in embedded)


def test_dlrm_get_config_round_trip(space: FeatureSpace, ratings) -> None:
    model = _dlrm(space, ratings)
    clone = DLRM.from_config(model.get_config())
    assert clone.get_config() == model.get_config()


def test_dlrm_save_load_gives_identical_outputs(space: FeatureSpace, ratings, tmp_path: Path) -> None:
    model = _dlrm(space, ratings)
    x = space.dlrm_features(ratings)
    path = tmp_path / "dlrm.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True, compile=False)
    loaded.set_history(space.interaction_matrix(ratings))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(model(x)), rtol=1e-6)


def _towers(space: FeatureSpace) -> TwoTowerModel:
    return build_towers(TowerConfig(layers=(16, 8), embedding_dim=8), space.vocab.sizes())


def test_towers_shapes(space: FeatureSpace) -> None:
    model = _towers(space)
    users = np.arange(space.n_users)
    assert model.query_embeddings(space.query_features(users)).shape == (space.n_users, 8)
    assert model.candidate_embeddings(space.candidate_features()).shape == (space.n_movies, 8)


def test_towers_get_config_round_trip(space: FeatureSpace) -> None:
    model = _towers(space)
    assert TwoTowerModel.from_config(model.get_config()).get_config() == model.get_config()


def test_towers_save_load_gives_identical_embeddings(space: FeatureSpace, tmp_path: Path) -> None:
    model = _towers(space)
    path = tmp_path / "towers.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True, compile=False)
    features = space.candidate_features()
    np.testing.assert_allclose(loaded.candidate_embeddings(features), model.candidate_embeddings(features), rtol=1e-6)
    users = space.query_features(np.arange(space.n_users))
    np.testing.assert_allclose(loaded.query_embeddings(users), model.query_embeddings(users), rtol=1e-6)


def test_accidental_hits_are_masked_but_the_positive_is_kept() -> None:
    logits = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], dtype=np.float32)
    labels = np.eye(3, dtype=np.float32)
    ids = np.array([5, 5, 7], dtype=np.int32)  # rows 0 and 1 share movie 5
    out = keras.ops.convert_to_numpy(AccidentalHitRemoval()(logits, labels, ids))
    assert out[0, 0] == 1.0 and out[1, 1] == 5.0 and out[2, 2] == 9.0  # positives untouched
    assert out[0, 1] < -1e8 and out[1, 0] < -1e8  # the duplicate movie is no negative
    assert out[0, 2] == 3.0 and out[2, 0] == 7.0  # real negatives untouched


def test_saved_dlrm_carries_no_rated_movies_matrix(space: FeatureSpace, ratings, tmp_path: Path) -> None:
    """The who-rated-what matrix is data (not redistributable): it is rebuilt, never saved."""
    model = _dlrm(space, ratings)
    assert keras.ops.convert_to_numpy(model.rated.matrix).sum() == len(ratings)
    model.save(tmp_path / "dlrm.keras")
    loaded = keras.saving.load_model(tmp_path / "dlrm.keras", safe_mode=True, compile=False)
    assert keras.ops.convert_to_numpy(loaded.rated.matrix).sum() == 0
    with pytest.raises(ValueError, match="shape"):
        loaded.set_history(np.zeros((2, 2)))


def test_models_take_their_config_whole_and_read_older_saves() -> None:
    """A model's settings come from its config only; a save with flat constructor arguments (the
    format before) loads into the same config, its training-only settings taking the defaults."""
    from recexplore.models.dlrm import DLRM, build_dlrm
    from recexplore.models.towers import TwoTowerModel, build_towers

    sizes = {
        "user_id": 5,
        "movie_id": 7,
        "user_gender": 3,
        "user_zip": 4,
        "user_occupation": 4,
        "age_bucket": 4,
        "gender_x_age": 9,
        "title_token": 6,
        "genre": 19,
    }
    towers = build_towers(TowerConfig(layers=(8,), embedding_dim=4, temperature=0.5), sizes)
    saved = towers.get_config()
    assert saved["model_config"] == TowerConfig(layers=(8,), embedding_dim=4, temperature=0.5).to_dict()
    assert TwoTowerModel.from_config(saved).model_config == towers.model_config
    flat = {
        "vocab_sizes": sizes,
        "embedding_dim": 4,
        "layers": [8],
        "objective": "softmax",
        "temperature": 0.5,
        "correction_exponent": 1.0,
        "name": "two_tower_model",
    }
    assert TwoTowerModel.from_config(flat).model_config == TowerConfig(
        layers=(8,), embedding_dim=4, temperature=0.5, correction_exponent=1.0, distill_weight=0.0
    )  # a setting added since (SAVED_BEFORE) takes the value those models were trained with
    dlrm = build_dlrm(DLRMConfig(embedding_dim=4, top_layers=(8,)), sizes, 3, 3.6)
    again = DLRM.from_config(dlrm.get_config())
    assert again.model_config == dlrm.model_config and again.global_mean == 3.6 and again.n_dense == 3
    flat = {
        "vocab_sizes": sizes,
        "n_dense": 3,
        "embedding_dim": 4,
        "bottom_layers": [4],
        "top_layers": [8],
        "dropout": 0.1,
        "l2": 0.0,
        "global_mean": 3.6,
        "top_l2": 0.0,
        "fm_path": False,
    }
    old = DLRM.from_config(flat).model_config
    assert (old.embedding_dim, old.dropout, old.fm_path, old.learning_rate) == (
        4,
        0.1,
        False,
        DLRMConfig().learning_rate,
    )


def test_dlrm_audience_is_the_mean_of_its_raters_rows(space: FeatureSpace, ratings) -> None:
    """The audience feature of a movie is the 1/sqrt(n)-scaled sum of its raters' rows."""
    model = _dlrm(space, ratings)
    x = space.dlrm_features(ratings.head(5))
    audience = keras.ops.convert_to_numpy(model.feature_embeddings(x)[model.features.index("movie_audience")])
    rated = space.interaction_matrix(ratings).astype(np.float64)
    table = keras.ops.convert_to_numpy(model.embeddings["movie_audience"].embeddings)
    for row, movie in enumerate(x["movie_id"]):
        raters = rated[:, movie]
        expected = raters @ table / np.sqrt(max(raters.sum(), 1.0))
        np.testing.assert_allclose(audience[row], expected, rtol=1e-4, atol=1e-6)


def test_dlrm_saved_before_the_audience_loads_without_it(space: FeatureSpace, ratings) -> None:
    """A config saved before `movie_audience` existed builds the model it was trained as."""
    model = _dlrm(space, ratings)
    saved = model.get_config()
    saved["model_config"] = {k: v for k, v in saved["model_config"].items() if k not in DLRMConfig.SAVED_BEFORE}
    old = DLRM.from_config(saved)
    assert "movie_audience" not in old.features and len(old.features) == len(DLRM_FEATURES) - 1
    assert old.model_config.bias_start == 0.0 and old.model_config.early_stopping is True
    assert DLRMConfig.from_dict({}).movie_audience is True  # a new config gets today's default
    assert DLRMConfig.from_dict({}).early_stopping is False
    assert DLRMConfig.from_saved({"movie_audience": True}).movie_audience is True


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_distillation_loss_by_hand(space: FeatureSpace) -> None:
    """Teacher softmax over the batch's movies the user has not rated, towers' log-softmax over
    the same ones; with weight w the loss is the in-batch softmax loss plus w times that."""
    from recexplore.models.ease import TEACHER_MASKED

    config = TowerConfig(layers=(8,), embedding_dim=4, temperature=0.5, distill_weight=2.0)
    model = build_towers(config, space.vocab.sizes())
    users, movies = np.array([1, 2, 1, 3]), np.array([1, 2, 3, 4])
    x = {**space.query_features(users), **space.candidate_features(movies)}
    x["sampling_probability"] = np.full(4, 0.1, dtype=np.float32)
    query, candidate = (keras.ops.convert_to_numpy(t) for t in model(x))
    rng = np.random.default_rng(0)
    teacher = rng.normal(size=(space.n_users, space.n_movies)).astype(np.float32)
    teacher[1, 3] = TEACHER_MASKED  # user 1 rated movie 3 (the batch's third candidate)
    ids = (x["user_id"].astype(int), x["movie_id"].astype(int))
    t = teacher[ids[0]][:, ids[1]]
    logits = query @ candidate.T / 0.5
    logits[t <= TEACHER_MASKED] = -1e9
    log_p = (
        logits
        - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True))
        - logits.max(1, keepdims=True)
    )
    expected = float(np.mean(-(_softmax(t) * log_p).sum(axis=1)))

    base = float(keras.ops.convert_to_numpy(model.compute_loss(x, None, (query, candidate))))  # no teacher yet
    model.set_teacher(teacher)
    got = float(keras.ops.convert_to_numpy(model.distillation_loss(x, query, candidate)))
    assert got == pytest.approx(expected, rel=1e-4) and expected > 0
    both = float(keras.ops.convert_to_numpy(model.compute_loss(x, None, (query, candidate))))
    assert both == pytest.approx(base + 2.0 * expected, rel=1e-4)
    model.set_teacher(None)
    assert model.teacher is None
    assert TowerConfig.from_saved({"layers": [8]}).distill_weight == 0.0  # saved before distillation
