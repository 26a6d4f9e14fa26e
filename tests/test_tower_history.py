"""The query tower's user history (TowerConfig.user_history): the mean or attention over the movies a
user rated in the training part, a training pair's own movie left out, the same from the matrix and the
lists, never saved, rebuilt after loading, and never holding a held-out movie."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

from recexplore.config import memory
from recexplore.data.features import FeatureSpace
from recexplore.data.history import History
from recexplore.models.towers import TowerConfig, TwoTowerModel, build_towers


def _history(n_users: int, n_movies: int, seed: int = 0, n: int = 120) -> History:
    rng = np.random.default_rng(seed)
    cells = rng.choice((n_users - 1) * (n_movies - 1), size=n, replace=False)
    users, movies = 1 + cells // (n_movies - 1), 1 + cells % (n_movies - 1)
    return History.of(users, movies, rng.integers(0, 10_000, size=n))


def _pooled(model: TwoTowerModel, users: np.ndarray, exclude: np.ndarray | None) -> np.ndarray:
    """The query tower's pooled history alone (the MLP's input past the features' embeddings)."""
    tower = model.query_tower
    inputs = {"user_id": keras.ops.convert_to_tensor(users, "int32")}
    if exclude is not None:
        inputs["history_exclude"] = keras.ops.convert_to_tensor(exclude, "int32")
    zeros = keras.ops.zeros((len(users), 5 * tower.embedding_dim))
    return keras.ops.convert_to_numpy(tower._pooled_history(inputs, zeros))


def _model(sizes: dict[str, int], history: str) -> TwoTowerModel:
    return build_towers(TowerConfig(layers=(8,), embedding_dim=4, user_history=history), sizes)


SIZES = {
    "user_id": 12,
    "movie_id": 20,
    "user_gender": 3,
    "age_bucket": 8,
    "gender_x_age": 16,
    "user_occupation": 22,
    "title_token": 10,
    "genre": 19,
}


def test_mean_history_is_the_mean_of_the_rated_movies_less_the_pair_s_own() -> None:
    history = _history(12, 20)
    model = _model(SIZES, "mean")
    model.set_history(history)
    table = keras.ops.convert_to_numpy(model.query_tower.history_embedding.embeddings)
    rated = history.matrix(12, 20)
    users = np.arange(1, 12)
    exclude = np.array([int(np.flatnonzero(rated[u])[0]) if rated[u].any() else 0 for u in users])
    for drop in (None, exclude):
        got = _pooled(model, users, drop)
        for row, user in enumerate(users):
            movies = set(np.flatnonzero(rated[user]).tolist()) - ({int(drop[row])} if drop is not None else set())
            expected = table[sorted(movies)].mean(axis=0) if movies else np.zeros(4)
            np.testing.assert_allclose(got[row], expected, rtol=1e-5, atol=1e-6)


def test_attention_reads_the_latest_movies_on_any_catalogue() -> None:
    assert not _model(SIZES, "attention").query_tower.rated.dense
    assert _model(SIZES, "mean").query_tower.rated.dense


@pytest.mark.parametrize("history", ["mean"])
def test_the_lists_pool_what_the_matrix_pools(history: str, monkeypatch: pytest.MonkeyPatch) -> None:
    events = _history(12, 20)
    keras.utils.set_random_seed(3)
    dense = _model(SIZES, history)
    monkeypatch.setattr(memory, "LARGE_CATALOGUE_CELLS", 0)
    lists = _model(SIZES, history)
    for name in ("history_embedding", "attention_query"):  # the weights pooling reads (not the stores)
        if hasattr(dense.query_tower, name):
            getattr(lists.query_tower, name).set_weights(getattr(dense.query_tower, name).get_weights())
    assert dense.query_tower.rated.dense and not lists.query_tower.rated.dense
    dense.set_history(events)
    lists.set_history(events)
    users = np.arange(12)
    exclude = np.random.default_rng(1).integers(0, 20, size=12)
    for drop in (None, exclude):
        np.testing.assert_allclose(_pooled(dense, users, drop), _pooled(lists, users, drop), rtol=1e-5, atol=1e-6)


def test_attention_weights_only_rated_movies_and_a_user_with_none_pools_zeros() -> None:
    model = _model(SIZES, "attention")
    model.set_history(History.of(np.array([1, 1]), np.array([3, 5]), np.array([0, 1])))
    table = keras.ops.convert_to_numpy(model.query_tower.history_embedding.embeddings)
    pooled = _pooled(model, np.array([1, 2]), None)
    # user 1: a convex combination of movies 3 and 5 only; user 2 rated nothing
    weights, *_ = np.linalg.lstsq(table[[3, 5]].T, pooled[0], rcond=None)
    np.testing.assert_allclose(table[[3, 5]].T @ weights, pooled[0], atol=1e-6)
    assert weights.min() >= -1e-5 and weights.sum() == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_array_equal(pooled[1], np.zeros(4))
    # leaving out movie 3 leaves movie 5 alone
    np.testing.assert_allclose(_pooled(model, np.array([1]), np.array([3]))[0], table[5], rtol=1e-5)


def test_history_off_keeps_the_tower_as_it_was() -> None:
    model = _model(SIZES, "off")
    assert not model.reads_history and not hasattr(model.query_tower, "rated")
    assert model.query_tower.inputs_width == 5 * 4
    assert TowerConfig.from_saved({}).user_history == "off"  # a model saved before the setting


def test_trained_history_holds_the_training_part_only_and_is_rebuilt_after_loading(
    ml_folder: Path, tmp_path: Path
) -> None:
    from recexplore.data.loading import load_movielens
    from recexplore.evaluation.scoring import prepare_loaded
    from recexplore.store import registry
    from recexplore.training.pipeline import run

    data = load_movielens(ml_folder)
    config = TowerConfig(layers=(8,), embedding_dim=4, batch_size=128, epochs=1, user_history="mean")
    done = run("towers", config, data=data, seed=3, peers=False)
    model, space, split = done.result.model, FeatureSpace(done.result.vocab, data), done.split
    rated = keras.ops.convert_to_numpy(model.query_tower.rated.matrix)
    np.testing.assert_array_equal(rated, space.interaction_matrix(split.train))
    test_cells = rated[space.user_index(split.test["user_id"]), space.movie_index(split.test["movie_id"])]
    assert test_cells.sum() == 0  # no held-out movie in anyone's history
    assert "hit_rate_at_10" in done.result.metrics

    entry = registry.save(done.result, "hist", tmp_path)
    loaded = registry.load("hist", tmp_path)
    assert keras.ops.convert_to_numpy(loaded.model.query_tower.rated.matrix).sum() == 0  # never saved
    prepare_loaded(loaded.kind, loaded.model, loaded.meta, data, loaded.vocab)
    users = space.query_features(np.arange(space.n_users))
    np.testing.assert_allclose(
        loaded.model.query_embeddings(users), model.query_embeddings(users), rtol=1e-5, atol=1e-6
    )
    assert entry.path.exists()


def test_attention_lists_hold_training_movies_only(ml_folder: Path) -> None:
    from recexplore.data.loading import load_movielens
    from recexplore.training.pipeline import run

    data = load_movielens(ml_folder)
    config = TowerConfig(layers=(8,), embedding_dim=4, batch_size=128, epochs=1, user_history="attention")
    done = run("towers", config, data=data, seed=3, peers=False)
    space, split, rated = FeatureSpace(done.result.vocab, data), done.split, done.result.model.query_tower.rated
    lists = keras.ops.convert_to_numpy(rated.user_lists)
    counts = keras.ops.convert_to_numpy(rated.user_counts)

    def pairs(frame: Any) -> set[tuple[int, int]]:
        users, movies = space.user_index(frame["user_id"]).tolist(), space.movie_index(frame["movie_id"]).tolist()
        return set(zip(users, movies, strict=True))

    held, train = pairs(split.test), pairs(split.train)
    kept = {(u, int(m)) for u in range(len(lists)) for m in lists[u, : counts[u]]}
    assert kept and kept <= train and not kept & held
