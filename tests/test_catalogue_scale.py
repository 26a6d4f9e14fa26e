"""Bounded memory at any catalogue size: evaluation batched over users gives exactly the one-piece
numbers, EASE on the most-rated movies of a large catalogue, and the movie map's t-SNE cap."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recexplore.app import movie_geometry
from recexplore.config import memory
from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.evaluation import ease_report
from recexplore.evaluation.accuracy import hits_at, ranks_of, retrieval_report
from recexplore.evaluation.beyond import Target
from recexplore.evaluation.list_metrics import top_k
from recexplore.evaluation.scoring import all_pair_scores, beyond_view, tower_scores, towers_evaluation
from recexplore.models import ease
from recexplore.models.popularity import popularity_scores
from recexplore.models.score_rows import ScoreRows, batch_users

TINY = 3  # users per batch in the batched runs


def _case(seed: int, n_users: int = 23, n_items: int = 90) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tied float64 scores, a 0/1 training matrix, and held-out pairs (some on seen movies, some on column 0)."""
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 5, size=(n_users, n_items)).astype(np.float64)
    train = (rng.random((n_users, n_items)) < 0.25).astype(np.int8)
    users = rng.integers(0, n_users, 200)
    items = rng.integers(0, n_items, 200)
    return scores, train, users, items


def _one_piece(scores: np.ndarray) -> ScoreRows:
    return ScoreRows.of(scores, batch=len(scores))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hits_ranks_and_lists_in_tiny_batches_equal_one_piece(seed: int) -> None:
    scores, train, users, items = _case(seed)
    tiny = ScoreRows.of(scores, batch=TINY)
    for exclude in (None, train):
        ks = (1, 10, 50, 100)
        whole = hits_at(_one_piece(scores), users, items, exclude=exclude, ks=ks)
        batched = hits_at(tiny, users, items, exclude=exclude, ks=ks)
        for k in ks:
            np.testing.assert_array_equal(batched[k], whole[k])
        np.testing.assert_array_equal(
            ranks_of(tiny, users, items, exclude=exclude), ranks_of(_one_piece(scores), users, items, exclude=exclude)
        )
        listed = np.unique(users)
        np.testing.assert_array_equal(top_k(tiny, listed, exclude, 10), top_k(_one_piece(scores), listed, exclude, 10))


@pytest.mark.parametrize("seed", [0, 1])
def test_retrieval_report_in_tiny_batches_equals_one_piece(seed: int) -> None:
    scores, train, users, items = _case(seed)
    stars = np.random.default_rng(seed).integers(1, 6, len(users)).astype(float)
    assert retrieval_report(ScoreRows.of(scores, batch=TINY), train, users, items, stars) == retrieval_report(
        _one_piece(scores), train, users, items, stars
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_popularity_row_ranked_once_equals_every_user_ranked_in_one_piece(seed: int) -> None:
    """Popularity's shared row is ranked once for every user; the same numbers as its row repeated
    into a users x items table and ranked user by user in one piece (ties, seen movies, column 0)."""
    _, train, users, items = _case(seed)
    popular = popularity_scores(train)
    repeated = np.repeat(popular, len(train), axis=0)
    ks = (1, 10, 100)
    for exclude in (None, train):
        shared = hits_at(ScoreRows.of(popular, batch=TINY), users, items, exclude=exclude, ks=ks)
        whole = hits_at(_one_piece(repeated), users, items, exclude=exclude, ks=ks)
        for k in ks:
            np.testing.assert_array_equal(shared[k], whole[k])
        np.testing.assert_array_equal(
            ranks_of(popular, users, items, exclude=exclude), ranks_of(_one_piece(repeated), users, items, exclude)
        )
        listed = np.unique(users)
        np.testing.assert_array_equal(
            top_k(ScoreRows.of(popular, batch=TINY), listed, exclude, 10),
            top_k(_one_piece(repeated), listed, exclude, 10),
        )


def test_product_scores_come_in_whole_blocks_of_users() -> None:
    """A product is made a block of consecutive users at a time, whichever users are asked for: one
    block holding every user is the one-piece product to the bit (BLAS rounds by shape); smaller
    blocks give the same numbers where the sums are exact (small integers)."""
    rng = np.random.default_rng(4)
    query, candidates = rng.normal(size=(50, 48)).astype(np.float32), rng.normal(size=(300, 48)).astype(np.float32)
    asked = np.array([0, 3, 4, 17, 49])
    found = [rows for _, _, rows in ScoreRows.product(query, candidates.T, batch=64).batches(asked)]
    assert len(found) == 1
    np.testing.assert_array_equal(found[0], (query @ candidates.T)[asked])
    query, candidates = np.round(query * 4), np.round(candidates * 4)  # exact sums in any order
    whole = query @ candidates.T
    for batch in (1, 2, TINY):
        rows = ScoreRows.product(query, candidates.T, batch=batch)
        np.testing.assert_array_equal(np.concatenate([r for _, _, r in rows.batches(asked)]), whole[asked])
        np.testing.assert_array_equal(np.concatenate([r for _, _, r in rows.batches(np.arange(50))]), whole)


def test_the_batch_follows_the_byte_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    assert batch_users(1000, budget=80_000) == 10 and batch_users(10**9, budget=1) == 1
    monkeypatch.setattr(memory, "SCORE_BATCH_BYTES", 3 * 90 * 8)
    assert ScoreRows.of(np.zeros((5, 90))).users_per_batch == 3


def test_evaluation_never_holds_a_users_x_movies_float_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    """2,000 users x 3,000 movies: one float64 score matrix is 48 MB; batched under a 1 MB budget,
    the whole evaluation's peak stays a few MB above the 0/1 training matrix."""
    rng = np.random.default_rng(5)
    n_users, n_items = 2000, 3000
    query, candidates = rng.normal(size=(n_users, 16)).astype(np.float32), rng.normal(size=(n_items, 16))
    candidates = candidates.astype(np.float32)
    train = (rng.random((n_users, n_items)) < 0.02).astype(np.int8)
    users, items = rng.integers(1, n_users, 4000), rng.integers(1, n_items, 4000)
    monkeypatch.setattr(memory, "SCORE_BATCH_BYTES", 1 << 20)
    scores = ScoreRows.product(query, candidates.T)
    tracemalloc.start()
    try:
        retrieval_report(scores, train, users, items, np.full(len(users), 5.0))
        top_k(scores, np.unique(users), train, 10)
        top_k(popularity_scores(train), np.unique(users), train, 10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 12 << 20, f"peak {peak / 2**20:.1f} MB"


class _FixedTowers:
    """A stand-in two-tower model: fixed random query and candidate vectors (many ties), by row."""

    def __init__(self, n_users: int, n_movies: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)  # small integers: every batch's sums are exact, as the one piece's
        self.query = rng.integers(-3, 4, size=(n_users, 8)).astype(np.float32)
        self.candidates = rng.integers(-3, 4, size=(n_movies, 8)).astype(np.float32)

    def query_embeddings(self, features: dict[str, np.ndarray]) -> np.ndarray:
        return self.query[: len(next(iter(features.values())))]

    def candidate_embeddings(self, features: dict[str, np.ndarray]) -> np.ndarray:
        return self.candidates[: len(next(iter(features.values())))]


@pytest.fixture(scope="module")
def split(ml_folder: Path) -> Any:
    return make_split(load_movielens(ml_folder))


def test_towers_evaluation_in_tiny_batches_equals_the_one_piece_scores(
    space: Any, split: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole towers evaluation (hit rates, seed accuracies, lists, slices, per-user values,
    popularity beside them) read 3 users at a time equals the one-piece all-pair table's."""
    model = _FixedTowers(space.n_users, space.n_movies)
    table = all_pair_scores(model, space)  # type: ignore[arg-type]
    target = Target.of(space, split)
    stars = split.test["user_rating"].to_numpy()
    whole = retrieval_report(_one_piece(table), target.seen, target.test_users, target.test_items, stars)
    lists = target.lists(_one_piece(table))
    monkeypatch.setattr(memory, "SCORE_BATCH_BYTES", TINY * space.n_movies * 8)
    assert tower_scores(model, space).users_per_batch == TINY  # type: ignore[arg-type]
    metrics, extras = towers_evaluation(model, space, split)  # type: ignore[arg-type]
    assert {k: metrics[k] for k in whole} == whole
    assert extras["per_user"]["ndcg"] == [float(v) for v in _ndcg(lists, target)]
    weights = ease.fit_ease(target.seen, 100.0)
    view = beyond_view(model, space, split, weights)  # type: ignore[arg-type]
    full_ease = target.seen.astype(np.float32) @ ease.ease_weights(target.seen, 100.0).astype(np.float32)
    np.testing.assert_array_equal(
        np.asarray(view["long_tail"]["EASE"]), _long_tail(target.lists(_one_piece(full_ease)), target)
    )
    assert view["metrics"]["ndcg_at_10"] == metrics["ndcg_at_10"]


def _ndcg(lists: np.ndarray, target: Target) -> np.ndarray:
    from recexplore.evaluation.list_metrics import per_user

    return per_user(lists, target.held_out)["ndcg"]


def _long_tail(lists: np.ndarray, target: Target) -> np.ndarray:
    from recexplore.evaluation.beyond import long_tail

    return long_tail(lists, target.catalogue.train_counts)


# ---------------------------------------------------------------- EASE on the top M movies


def test_the_item_cap_follows_memory_between_its_bounds() -> None:
    per_item = 8 * memory.EASE_COPIES / memory.EASE_MEMORY_SHARE  # bytes an M x M fit takes per M**2
    assert memory.ease_item_cap(int(per_item * 10_000**2)) == 10_000
    assert memory.ease_item_cap(1 << 20) == memory.EASE_MIN_ITEMS
    assert memory.ease_item_cap(1 << 50) == memory.EASE_MAX_ITEMS
    assert ease.fitted_columns(np.zeros((3, memory.EASE_MIN_ITEMS + 1))) is None  # a small catalogue: every movie


def test_ease_on_the_most_rated_movies_of_a_large_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(6)
    x = (rng.random((300, 400)) < rng.random(400) * 0.2).astype(np.int8)
    x[0, :], x[:, 0] = 0, 0
    fit = ease.fit_ease(x, 20.0, cap=60)
    counts = x.sum(axis=0)
    assert fit.capped and fit.items == 60 and 0 not in fit.columns
    assert counts[fit.columns].min() >= np.delete(counts, np.r_[0, fit.columns]).max()
    scores = fit.score_rows(x).full()
    left_out = np.setdiff1d(np.arange(400), fit.columns)
    assert np.all(scores[:, left_out] == -np.inf) and np.isfinite(scores[:, fit.columns]).all()
    same = x[:, fit.columns].astype(np.float32) @ ease.ease_weights(x[:, fit.columns], 20.0).astype(np.float32)
    np.testing.assert_array_equal(scores[:, fit.columns], same)  # EASE fitted on those movies alone
    lists = top_k(ScoreRows.of(fit.score_rows(x), batch=TINY), np.arange(1, 300), x, 10)
    assert np.isin(lists[lists > 0], fit.columns).all()
    np.testing.assert_array_equal(lists, top_k(scores, np.arange(1, 300), x, 10))
    monkeypatch.setattr(memory, "EASE_MIN_ITEMS", 10)
    monkeypatch.setattr(memory, "ease_item_cap", lambda available=None: 60)
    assert np.all(ease.teacher_logits(x, 20.0, 0.5)[:, left_out] == ease.TEACHER_MASKED)
    uncapped = ease.fit_ease(x, 20.0, cap=399)
    assert not uncapped.capped and uncapped.items == 399


def test_the_report_says_when_ease_left_movies_out(
    ml_folder: Path, split: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = load_movielens(ml_folder)
    whole = ease_report.ease_report(data, split)
    assert ease.ITEMS_KEY not in whole and ease_report.items_note(whole) == ""
    monkeypatch.setattr(memory, "EASE_MIN_ITEMS", 10)
    monkeypatch.setattr(memory, "ease_item_cap", lambda available=None: 30)
    part = ease_report.ease_report(data, split)
    assert part[ease.ITEMS_KEY] == 30 and ease_report.items_note(part).startswith("EASE on the top 30 movies")
    assert part["ease_catalog_coverage_at_10"] <= 30 / (len(data.movies))
    cached = ease_report.cached_report(data, split)
    assert cached[ease.ITEMS_KEY] == 30 and set(cached) == {*ease_report.REPORT_KEYS, ease.ITEMS_KEY}


# ---------------------------------------------------------------- the movie map


def test_the_movie_map_draws_the_most_rated_movies_only() -> None:
    rng = np.random.default_rng(7)
    points = rng.normal(size=(60, 5))
    ratings = rng.integers(0, 50, 60).astype(float)
    ratings[3] = np.nan
    whole = movie_geometry.tsne_map(points, ratings, seed=0, limit=60)
    assert whole["note"] == "" and whole["shown"] == whole["total"] == 60 and whole["mapped"].all()
    np.testing.assert_array_equal(whole["coords"], movie_geometry.tsne(points, seed=0))
    part = movie_geometry.tsne_map(points, ratings, seed=0, limit=20)
    assert part["shown"] == 20 and part["total"] == 60 and part["note"] == "t-SNE of the 20 most-rated movies of 60"
    kept = np.nan_to_num(ratings)[part["mapped"]]
    assert kept.min() >= np.nan_to_num(ratings)[~part["mapped"]].max() and not part["mapped"][3]
    assert np.isnan(part["coords"][~part["mapped"]]).all() and np.isfinite(part["coords"][part["mapped"]]).all()
