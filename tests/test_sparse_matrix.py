"""The sparse (CSR) training matrix gives the dense matrix's numbers (exactly, or within a few
float32 ulps where a product is summed in another order: `FLOAT32_ORDER`): hit rates, seed
accuracies, lists and their metrics, popularity, EASE (fit, scores, report), the towers evaluation
and the next-movie peers; and memory grows with the ratings, never users x movies."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from recexplore.config import memory
from recexplore.config.memory import CSR_BYTES_PER_RATING
from recexplore.data import splits
from recexplore.data.features import FeatureSpace, zero_one_csr
from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.evaluation import ease_report, next_item
from recexplore.evaluation.accuracy import hits_at, ranks_of, retrieval_report
from recexplore.evaluation.beyond import Target, slices, user_values
from recexplore.evaluation.list_metrics import Catalogue, top_k
from recexplore.evaluation.scoring import beyond_view, towers_evaluation
from recexplore.models import ease
from recexplore.models.popularity import popularity_scores
from recexplore.models.score_rows import ScoreRows
from recexplore.models.towers import TowerConfig
from recexplore.training.memory import estimate_training_bytes

# A product summed in another order (scipy's sparse X @ B against BLAS's dense one, whose kernel
# varies by processor) may differ in the last float32 bits: up to a few ulps of the largest score
# (measured: 1.2e-07 on an AMD EPYC with OpenBLAS' Haswell kernels). Everything computed from
# integers (Gram matrices, counts, weights solved from the same Gram) stays exactly equal.
FLOAT32_ORDER = {"rtol": 4 * float(np.finfo(np.float32).eps), "atol": 4 * float(np.finfo(np.float32).eps)}

TINY = 3  # users per batch in the batched runs


def _case(seed: int, n_users: int = 23, n_items: int = 90) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tied float64 scores, a 0/1 int8 training matrix (row 0, column 0 empty), and held-out pairs
    (some on seen movies, some on column 0)."""
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 5, size=(n_users, n_items)).astype(np.float64)
    train = (rng.random((n_users, n_items)) < 0.25).astype(np.int8)
    train[0, :], train[:, 0] = 0, 0
    users = rng.integers(0, n_users, 200)
    items = rng.integers(0, n_items, 200)
    return scores, train, users, items


def _csr(dense: np.ndarray) -> sparse.csr_matrix:
    rows, columns = np.nonzero(dense)
    return zero_one_csr(rows, columns, dense.shape)


class _Towers:
    """A stand-in two-tower model: fixed random float vectors, by row."""

    def __init__(self, n_users: int, n_movies: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.query = rng.normal(size=(n_users, 8)).astype(np.float32)
        self.candidates = rng.normal(size=(n_movies, 8)).astype(np.float32)

    def query_embeddings(self, features: dict[str, np.ndarray]) -> np.ndarray:
        return self.query[: len(next(iter(features.values())))]

    def candidate_embeddings(self, features: dict[str, np.ndarray]) -> np.ndarray:
        return self.candidates[: len(next(iter(features.values())))]


@pytest.fixture(scope="module")
def data(ml_folder: Path) -> Any:
    return load_movielens(ml_folder)


@pytest.fixture(scope="module")
def split(data: Any) -> Any:
    return make_split(data)


def _dense_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every caller of `interaction_csr` gets the dense int8 matrix instead (the code before CSR)."""
    monkeypatch.setattr(FeatureSpace, "interaction_csr", FeatureSpace.interaction_matrix)


# ---------------------------------------------------------------- the matrix itself


def test_interaction_csr_is_the_dense_matrix(space: FeatureSpace, split: Any) -> None:
    csr = space.interaction_csr(split.train)
    assert sparse.issparse(csr) and csr.format == "csr" and csr.dtype == bool and csr.has_canonical_format
    np.testing.assert_array_equal(csr.toarray(), space.interaction_matrix(split.train))
    assert csr.nnz == len(split.train)


def test_unknown_ids_and_repeated_pairs_as_in_the_dense_matrix(space: FeatureSpace, split: Any) -> None:
    """An unknown user or movie (index 0) leaves row 0 and column 0 empty; a repeated rating is one one."""
    rows = split.train[["user_id", "movie_id"]].head(20)
    odd = pd.DataFrame(
        {"user_id": [10**9, int(rows["user_id"].iloc[0])], "movie_id": [int(rows["movie_id"].iloc[0]), -5]}
    )
    ratings = pd.concat([rows, rows, odd], ignore_index=True)
    csr = space.interaction_csr(ratings)
    np.testing.assert_array_equal(csr.toarray(), space.interaction_matrix(ratings))
    assert csr[0].nnz == 0 and csr[:, 0].nnz == 0 and csr.data.all()
    many = zero_one_csr(np.full(256, 2), np.full(256, 3), (4, 5))  # 256 repeats: one one
    assert many.nnz == 1 and many[2, 3]


# ---------------------------------------------------------------- evaluation and lists


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hits_ranks_and_lists_dense_equal_csr(seed: int) -> None:
    scores, train, users, items = _case(seed)
    csr = _csr(train)
    listed = np.unique(users)
    for table in (scores, popularity_scores(train)):
        for batch in (TINY, len(scores)):
            rows = ScoreRows.of(table, batch=batch)
            ks = (1, 10, 50, 100)
            dense_hits, csr_hits = hits_at(rows, users, items, train, ks), hits_at(rows, users, items, csr, ks)
            for k in ks:
                np.testing.assert_array_equal(csr_hits[k], dense_hits[k])
            np.testing.assert_array_equal(ranks_of(rows, users, items, csr), ranks_of(rows, users, items, train))
            np.testing.assert_array_equal(top_k(rows, listed, csr, 10), top_k(rows, listed, train, 10))
            np.testing.assert_array_equal(top_k(rows, listed, csr.astype(np.int8), 7), top_k(rows, listed, train, 7))


@pytest.mark.parametrize("seed", [0, 1])
def test_popularity_and_the_catalogue_dense_equal_csr(seed: int) -> None:
    _, train, _, _ = _case(seed)
    csr = _csr(train)
    np.testing.assert_array_equal(popularity_scores(csr), popularity_scores(train))
    assert popularity_scores(csr).dtype == popularity_scores(train).dtype == np.float64
    genres = np.eye(len(train[0]), 4)
    dense, found = Catalogue.of(train, genres), Catalogue.of(csr, genres)
    np.testing.assert_array_equal(found.train_counts, dense.train_counts)
    assert found.train_counts.dtype == dense.train_counts.dtype and found.n_train_users == dense.n_train_users


def test_explicit_zeros_in_a_sparse_matrix_count_as_zeros() -> None:
    """A sparse matrix may store zeros (here int8): they are neither counted nor excluded."""
    scores, train, users, items = _case(4)
    stored = _csr(train).astype(np.int8)
    stored.data[::7] = 0
    dense = stored.toarray()
    assert stored.nnz > np.count_nonzero(dense)
    np.testing.assert_array_equal(popularity_scores(stored), popularity_scores(dense))
    assert Catalogue.of(stored, np.eye(90, 3)).n_train_users == Catalogue.of(dense, np.eye(90, 3)).n_train_users
    for table in (scores, popularity_scores(dense)):
        np.testing.assert_array_equal(ranks_of(table, users, items, stored), ranks_of(table, users, items, dense))
        np.testing.assert_array_equal(top_k(table, users, stored, 10), top_k(table, users, dense, 10))


@pytest.mark.parametrize("seed", [0, 1])
def test_retrieval_report_dense_equals_csr(seed: int) -> None:
    scores, train, users, items = _case(seed)
    stars = np.random.default_rng(seed).integers(1, 6, len(users)).astype(float)
    rng = np.random.default_rng(seed)
    query, candidates = rng.normal(size=(len(train), 6)).astype(np.float32), rng.normal(size=(6, 90))
    for rows in (ScoreRows.of(scores, batch=TINY), ScoreRows.product(query, candidates.astype(np.float32))):
        dense = retrieval_report(rows, train, users, items, stars)
        assert retrieval_report(rows, _csr(train), users, items, stars) == dense
        assert retrieval_report(rows, _csr(train).astype(np.int8), users, items, stars) == dense


def test_target_lists_and_report_dense_equal_csr() -> None:
    scores, train, users, items = _case(3, n_users=40, n_items=60)
    genres = (np.random.default_rng(3).random((60, 5)) < 0.3).astype(np.float32)
    gender = (("F", "M"), np.random.default_rng(3).integers(1, 3, 40))
    dense = Target.build(train, users, items, genres, gender=gender)
    found = Target.build(_csr(train), users, items, genres, gender=gender)
    assert sparse.issparse(found.seen) and found.seen.dtype == bool
    np.testing.assert_array_equal(found.seen.toarray(), dense.seen)
    np.testing.assert_array_equal(found.head, dense.head)
    assert found.groups.keys() == dense.groups.keys()
    for name, mask in dense.groups.items():
        np.testing.assert_array_equal(found.groups[name], mask)
    for table in (scores, popularity_scores(train)):
        lists = dense.lists(ScoreRows.of(table, batch=TINY))
        np.testing.assert_array_equal(found.lists(ScoreRows.of(table, batch=TINY)), lists)
        assert found.report(lists) == dense.report(lists)
        assert user_values(lists, found) == user_values(lists, dense)
        assert slices({"": lists}, found) == slices({"": lists}, dense)


def test_target_of_is_sparse_and_equals_the_dense_target(
    space: FeatureSpace, split: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = Target.of(space, split)
    assert sparse.issparse(found.seen)
    _dense_everywhere(monkeypatch)
    dense = Target.of(space, split)
    assert not sparse.issparse(dense.seen)
    np.testing.assert_array_equal(found.seen.toarray(), dense.seen)
    np.testing.assert_array_equal(found.catalogue.train_counts, dense.catalogue.train_counts)
    assert found.catalogue.n_train_users == dense.catalogue.n_train_users


# ---------------------------------------------------------------- EASE


@pytest.mark.parametrize("cap", [None, 60])
def test_ease_fit_and_scores_dense_equal_csr(cap: int | None) -> None:
    rng = np.random.default_rng(6)
    x = (rng.random((300, 400)) < rng.random(400) * 0.2).astype(np.int8)
    x[0, :], x[:, 0] = 0, 0
    csr = _csr(x)
    np.testing.assert_array_equal(ease._gram(csr, None), ease._gram(x, None))
    dense_fit, csr_fit = ease.fit_ease(x, 20.0, cap=cap), ease.fit_ease(csr, 20.0, cap=cap)
    assert csr_fit.capped == (cap is not None)
    np.testing.assert_array_equal(csr_fit.weights, dense_fit.weights)
    np.testing.assert_array_equal(csr_fit.columns, dense_fit.columns)
    for rows in (csr_fit.score_rows(csr), ScoreRows.of(csr_fit.score_rows(csr), batch=TINY)):
        np.testing.assert_allclose(
            np.concatenate([r for _, _, r in rows.batches(np.arange(300))]),
            dense_fit.score_rows(x).full(),
            **FLOAT32_ORDER,
        )
    np.testing.assert_allclose(csr_fit.scores(csr[[5, 9]]), dense_fit.scores(x[[5, 9]]), **FLOAT32_ORDER)
    users, items = rng.integers(1, 300, 150), rng.integers(1, 400, 150)
    picked = ease_report.choose_lambda(csr, users, items, lambdas=(5.0, 50.0), cap=cap)
    assert picked == ease_report.choose_lambda(x, users, items, lambdas=(5.0, 50.0), cap=cap)


def test_ease_weights_and_teacher_dense_equal_csr() -> None:
    rng = np.random.default_rng(7)
    x = (rng.random((80, 50)) < 0.2).astype(np.int8)
    csr = _csr(x)
    np.testing.assert_array_equal(ease.ease_weights(csr, 10.0), ease.ease_weights(x, 10.0))
    np.testing.assert_allclose(ease.teacher_logits(csr, 10.0, 0.5), ease.teacher_logits(x, 10.0, 0.5), **FLOAT32_ORDER)


@pytest.mark.parametrize("capped", [False, True])
def test_ease_report_dense_equals_csr(data: Any, split: Any, monkeypatch: pytest.MonkeyPatch, capped: bool) -> None:
    if capped:  # EASE on the 30 most-rated movies only
        monkeypatch.setattr(memory, "EASE_MIN_ITEMS", 10)
        monkeypatch.setattr(memory, "ease_item_cap", lambda available=None: 30)
    found = ease_report.ease_report(data, split)
    assert (ease.ITEMS_KEY in found) == capped
    _dense_everywhere(monkeypatch)
    assert ease_report.ease_report(data, split) == found


# ---------------------------------------------------------------- the towers evaluation and the peers


def test_towers_evaluation_dense_equals_csr(space: FeatureSpace, split: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hit rates, seed accuracies, list metrics, slices and per-user values of the model and of
    popularity, and the Beyond view with EASE, read 3 users at a time: the same from either matrix."""
    model = _Towers(space.n_users, space.n_movies)
    monkeypatch.setattr(memory, "SCORE_BATCH_BYTES", TINY * space.n_movies * 8)
    found = towers_evaluation(model, space, split)  # type: ignore[arg-type]
    weights = ease.fit_ease(space.interaction_csr(split.train), 100.0)
    view = beyond_view(model, space, split, weights)  # type: ignore[arg-type]
    _dense_everywhere(monkeypatch)
    assert towers_evaluation(model, space, split) == found  # type: ignore[arg-type]
    dense_weights = ease.fit_ease(space.interaction_csr(split.train), 100.0)
    np.testing.assert_array_equal(weights.weights, dense_weights.weights)
    assert beyond_view(model, space, split, dense_weights) == view  # type: ignore[arg-type]


def test_next_movie_peers_dense_equal_csr(data: Any, space: FeatureSpace, monkeypatch: pytest.MonkeyPatch) -> None:
    split = make_split(data, splits.LAST_OUT)
    found = next_item.peer_reports(space, split)
    _dense_everywhere(monkeypatch)
    assert next_item.peer_reports(space, split) == found


# ---------------------------------------------------------------- memory


def test_the_evaluation_holds_the_ratings_never_users_x_movies(monkeypatch: pytest.MonkeyPatch) -> None:
    """20,000 users x 30,000 movies (a dense int8 matrix: 600 MB) with 100,000 ratings: the CSR,
    the target, popularity's and a model's lists and a retrieval report stay within a few MB."""
    rng = np.random.default_rng(8)
    n_users, n_items, n_ratings = 20_000, 30_000, 100_000
    monkeypatch.setattr(memory, "SCORE_BATCH_BYTES", 1 << 20)
    query = rng.normal(size=(n_users, 8)).astype(np.float32)
    candidates = rng.normal(size=(8, n_items)).astype(np.float32)
    test_users, test_items = rng.integers(1, n_users, 600), rng.integers(1, n_items, 600)
    tracemalloc.start()
    try:
        movies = np.minimum(rng.zipf(1.3, n_ratings), n_items - 1)
        train = zero_one_csr(rng.integers(1, n_users, n_ratings), movies, (n_users, n_items))
        target = Target.build(train, test_users, test_items, np.zeros((n_items, 3), dtype=np.float32))
        scores = ScoreRows.product(query, candidates)
        target.lists(scores)
        target.lists(popularity_scores(target.seen))
        retrieval_report(scores, target.seen, test_users, test_items, np.full(600, 5.0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 12 << 20, f"peak {peak / 2**20:.1f} MB"


def test_the_towers_estimate_counts_the_ratings_not_users_x_movies() -> None:
    """ML-25M's vocabularies: no users x movies term (the dense int8 matrix alone was 10 GB), and
    CSR_BYTES_PER_RATING more per training rating."""
    sizes = {"user_id": 162_542, "movie_id": 62_424, "genre": 20, "user_gender": 3, "age_bucket": 8}
    config = TowerConfig(objective="rating_mse", batch_size=4096)
    rows = 20_000_000
    estimate = estimate_training_bytes("towers", config, sizes, rows)
    assert estimate < 1 << 30
    assert estimate_training_bytes("towers", config, sizes, rows + 1000) - estimate == CSR_BYTES_PER_RATING * 1000
