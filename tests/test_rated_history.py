"""The rated-movies history of the rating models: the exact 0/1 matrix on small catalogues, each
user's (and movie's) latest HISTORY_CAP entries on large ones, with the same averages while nobody
is capped."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from recexplore.config import memory
from recexplore.data.history import History
from recexplore.models.common import RatedMovies


def _history(seed: int = 0, n_users: int = 30, n_movies: int = 40, n: int = 300) -> History:
    rng = np.random.default_rng(seed)
    cells = rng.choice((n_users - 1) * (n_movies - 1), size=n, replace=False)
    users, movies = 1 + cells // (n_movies - 1), 1 + cells % (n_movies - 1)
    return History.of(users, movies, rng.integers(0, 10_000, size=n))


@pytest.mark.parametrize("by_user", [True, False])
def test_lists_average_what_the_matrix_averages(by_user: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    history = _history()
    dense = RatedMovies(30, 40)
    monkeypatch.setattr(memory, "LARGE_CATALOGUE_CELLS", 0)
    lists = RatedMovies(30, 40)
    assert dense.dense and not lists.dense
    dense.assign(history)
    lists.assign(history)
    rows = 30 if by_user else 40
    table = keras.ops.convert_to_tensor(np.random.default_rng(1).normal(size=(40 if by_user else 30, 8)), "float32")
    index = keras.ops.convert_to_tensor(np.arange(rows), "int32")
    for a, b in zip(dense.mean_rows(table, index, by_user), lists.mean_rows(table, index, by_user), strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), rtol=1e-5, atol=1e-5)


def test_lists_keep_the_latest_ratings_and_drop_out_of_vocabulary_pairs() -> None:
    users = np.array([1, 1, 1, 2, 0, 2])
    movies = np.array([5, 6, 7, 5, 5, 0])
    times = np.array([10, 30, 20, 5, 99, 99])
    history = History.of(users, movies, times)
    assert len(history.users) == 4  # the OOV user and the OOV movie are dropped
    found, counts = history.lists(True, n_rows=3, cap=2)
    assert found.tolist() == [[0, 0], [6, 7], [5, 0]] and counts.tolist() == [0, 2, 1]
    found, counts = history.lists(False, n_rows=8, cap=2)
    assert found[5].tolist() == [1, 2] and counts[5] == 2 and counts[7] == 1
    np.testing.assert_array_equal(history.matrix(3, 8).sum(axis=1), [0, 3, 1])


def test_a_matrix_is_refused_by_the_list_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "LARGE_CATALOGUE_CELLS", 0)
    with pytest.raises(ValueError, match="rated matrix"):
        RatedMovies(3, 4).assign(np.zeros((3, 4)))


def test_a_rating_model_trains_on_the_list_form(ml_folder, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """The DLRM with its history as lists (as on ML-10M and larger) trains and scores."""
    from recexplore.data.loading import load_movielens
    from recexplore.data.splits import make_split
    from recexplore.training.trainer import train
    from tests.conftest import TINY_DLRM

    monkeypatch.setattr(memory, "LARGE_CATALOGUE_CELLS", 0)
    data = load_movielens(ml_folder)
    result = train("dlrm", data, make_split(data), TINY_DLRM)
    assert not result.model.rated.dense
    assert 0.3 < result.metrics["test_rmse"] < 2.0
