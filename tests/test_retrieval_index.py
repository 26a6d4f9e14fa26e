"""Approximate retrieval (issue 35): each index's list against exact on a catalogue with a planted
answer, seen movies left out, serving a saved model through an index (library and CLI), and the
one-line refusals (a setting out of range, a model with no movie vectors)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from recexplore.cli.main import main
from recexplore.config.retrieval_index import IndexConfig
from recexplore.data.loading import load_movielens
from recexplore.evaluation.scoring import prepare_loaded
from recexplore.serving.recommend import Recommender, serve_new_user
from recexplore.serving.retrieval_index import (
    MovieIndex,
    RetrievalIndexError,
    check_indexable,
    index_config,
    mean_recall,
    recall,
)
from recexplore.store import registry
from tests.conftest import save_tiny_models
from tests.test_cli_bad_input import run_inprocess

K = 10
N_MOVIES, DIM, N_QUERIES = 3000, 16, 20


def planted(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Movies, unit queries, and each query's 10 planted movies in their exact order: a planted
    movie is its query scaled by 3.9 ... 3.0 (dot products 3.9 ... 3.0), every other movie's dot
    product with a query stays far below 3 (small random vectors, other queries' planted ones)."""
    rng = np.random.default_rng(seed)
    movies = (0.3 * rng.standard_normal((N_MOVIES, DIM))).astype(np.float32)
    queries = rng.standard_normal((N_QUERIES, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    answer = rng.choice(N_MOVIES, N_QUERIES * K, replace=False).reshape(N_QUERIES, K)
    for query, rows in zip(queries, answer, strict=True):
        movies[rows] = query * (3.0 + 0.1 * np.arange(K)[::-1, None])
    return movies, queries, answer


@pytest.fixture(scope="module")
def catalogue() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return planted()


EXHAUSTIVE_IVF = {"kind": "ivf", "nlist": 50, "nprobe": 50}  # every list probed: exact by construction


@pytest.mark.parametrize("settings", [{}, EXHAUSTIVE_IVF], ids=["exact", "ivf-every-list"])
def test_exact_and_exhaustive_ivf_find_the_planted_list_in_order(catalogue: tuple, settings: dict) -> None:
    movies, queries, answer = catalogue
    index = MovieIndex.build(movies, index_config(**settings))
    rows, scores = index.search(queries, K)
    np.testing.assert_array_equal(rows, answer)
    np.testing.assert_allclose(scores, np.einsum("qkd,qd->qk", movies[rows], queries), rtol=1e-5)
    assert mean_recall(rows, answer) == 1.0
    assert index.memory_bytes >= movies.nbytes  # every vector is held


def test_hnsw_recall_against_the_planted_answer(catalogue: tuple) -> None:
    """HNSW is approximate: with a wide search it finds (nearly) every planted movie, and the recall
    measured against the exact index is the share it found."""
    movies, queries, answer = catalogue
    wide = MovieIndex.build(movies, index_config(kind="hnsw", hnsw_m=16, ef_search=128))
    rows, _ = wide.search(queries, K)
    assert mean_recall(rows, answer) >= 0.95
    assert wide.label == "HNSW (M=16, efSearch=128)"
    assert wide.searched_with(index_config(kind="hnsw", hnsw_m=16, ef_search=8)).label.endswith("efSearch=8)")


def test_a_narrow_ivf_search_misses_and_recall_says_how_much() -> None:
    """On an unstructured catalogue, probing 1 of 50 lists misses part of the exact top 10; probing
    all 50 misses none."""
    rng = np.random.default_rng(1)
    movies = rng.standard_normal((2000, DIM)).astype(np.float32)
    queries = rng.standard_normal((50, DIM)).astype(np.float32)
    exact, _ = MovieIndex.build(movies, index_config()).search(queries, K)
    ivf = MovieIndex.build(movies, index_config(kind="ivf", nlist=50, nprobe=1))
    narrow = mean_recall(ivf.search(queries, K)[0], exact)
    every = mean_recall(ivf.searched_with(index_config(**EXHAUSTIVE_IVF)).search(queries, K)[0], exact)
    assert narrow < 0.9 and every == 1.0


def test_recall_by_hand() -> None:
    assert recall([1, 2, 3, 4], [1, 2, 5, 6]) == 0.5
    assert recall([9, 8], [8, 9]) == 1.0 and recall([], [1]) == 0.0 and recall([1], []) == 1.0
    assert mean_recall(np.array([[1, 2], [3, 4]]), np.array([[1, 2], [5, 6]])) == 0.5


@pytest.mark.parametrize(
    "settings", [{}, EXHAUSTIVE_IVF, {"kind": "hnsw", "ef_search": 64}], ids=["exact", "ivf", "hnsw"]
)
def test_seen_movies_are_left_out_and_the_list_filled(catalogue: tuple, settings: dict) -> None:
    """Five of a query's planted movies seen: the other five lead the list, which is still 10 long."""
    movies, queries, answer = catalogue
    index = MovieIndex.build(movies, index_config(**settings))
    for query, rows in zip(queries[:5], answer[:5], strict=True):
        seen = rows[::2]
        found, scores = index.top_k(query, seen, K)
        assert len(found) == K and not np.isin(found, seen).any()
        np.testing.assert_array_equal(found[:5], rows[1::2])
        assert np.all(np.diff(scores) <= 1e-6)


@pytest.mark.parametrize(
    ("settings", "needles"),
    [
        ({"kind": "annoy"}, ("kind must be one of exact, ivf, hnsw", "'annoy'")),
        ({"nprobe": 0}, ("nprobe must be an integer from 1 to 65536", "0")),
        ({"hnsw_m": 2}, ("hnsw_m must be an integer from 4 to 128",)),
        ({"ef_search": 5000}, ("ef_search must be an integer from 1 to 4096",)),
        ({"nlist": 4, "nprobe": 8}, ("nprobe must be at most nlist (4), got 8",)),
        ({"nlist": 1.5}, ("nlist must be an integer",)),
    ],
)
def test_a_setting_out_of_range_is_one_line(settings: dict, needles: tuple[str, ...]) -> None:
    with pytest.raises(RetrievalIndexError) as err:
        index_config(**settings)
    assert "\n" not in str(err.value) and all(n in str(err.value) for n in needles)


def test_more_lists_than_movies_is_one_line(catalogue: tuple) -> None:
    with pytest.raises(RetrievalIndexError, match=r"^nlist must be at most the 3,000 movies, got 4000$"):
        MovieIndex.build(catalogue[0], index_config(kind="ivf", nlist=4000))


@pytest.mark.parametrize("kind", ["dlrm", "dcn", "listwise", "sequential", "multitask"])
def test_a_family_without_an_index_is_refused(kind: str) -> None:
    with pytest.raises(RetrievalIndexError) as err:
        check_indexable("some-model", kind)
    assert str(err.value) == (
        f"model 'some-model' is a {kind} model: it has no movie vectors to serve through an index "
        "(families with one: towers)"
    )
    check_indexable("some-model", "towers")  # the towers have one


# ---------------------------------------------------------------- serving a saved model


@pytest.fixture(scope="module")
def saved(ml_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry with tiny towers ('towers-1-layer') and a tiny DLRM ('rating')."""
    return save_tiny_models(tmp_path_factory.mktemp("index-registry"), ml_folder, {"towers-1-layer": (8,)}, "rating")


@pytest.fixture(scope="module")
def recommender(saved: Path, ml_folder: Path) -> Recommender:
    loaded = registry.load("towers-1-layer", saved)
    data = load_movielens(ml_folder)
    space, split = prepare_loaded(loaded.kind, loaded.model, loaded.meta, data, loaded.vocab)
    return Recommender.build(loaded.model, loaded.vocab, data, split, space)


def test_serving_through_an_index_says_which_and_its_recall(recommender: Recommender) -> None:
    rec = recommender
    user_id = int(rec.data.users["user_id"].iloc[0])
    seen = set(np.asarray(rec.space.vocab.movie_ids)[rec.rated[rec.user_index(user_id)] - 1].tolist())
    exact = rec.serve(user_id, K, IndexConfig())
    assert exact.index == "exact (BruteForceRetrieval)" and exact.recall_vs_exact == 1.0
    assert exact.frame["movie_id"].tolist() == rec.recommend(user_id, K)["movie_id"].tolist()
    every = rec.serve(user_id, K, index_config(kind="ivf", nlist=5, nprobe=5))
    assert every.frame["movie_id"].tolist() == exact.frame["movie_id"].tolist() and every.recall_vs_exact == 1.0
    for settings in ({"kind": "ivf", "nlist": 8, "nprobe": 1}, {"kind": "hnsw", "ef_search": 1}):
        served = rec.serve(user_id, K, index_config(**settings))
        ids = served.frame["movie_id"].tolist()
        assert not seen & set(ids)
        assert served.recall_vs_exact == len(set(ids) & set(exact.frame["movie_id"])) / K
    assert served.index == "HNSW (M=32, efSearch=1)"
    new = serve_new_user(rec, {int(rec.data.movies["movie_id"].iloc[0]): 5.0}, K, index_config(kind="hnsw"))
    assert 0.0 <= new.recall_vs_exact <= 1.0 and len(new.frame) == K


def _recommend(saved: Path, ml_folder: Path, *args: str) -> list[str]:
    return ["recommend", "--models-dir", str(saved), "--data", str(ml_folder), *args]


def test_cli_recommend_through_an_index(
    saved: Path, ml_folder: Path, capsys: pytest.CaptureFixture[str], recommender: Recommender
) -> None:
    argv = _recommend(saved, ml_folder, "--model", "towers-1-layer", "--user", "1", "--index", "hnsw")
    assert main([*argv, "--ef-search", "8", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert payload["index"] == "HNSW (M=32, efSearch=8)"
    served = recommender.serve(1, K, index_config(kind="hnsw", ef_search=8))
    assert payload["recall_vs_exact"] == served.recall_vs_exact
    assert [r["movie_id"] for r in payload["recommendations"]] == served.frame["movie_id"].tolist()
    assert main(_recommend(saved, ml_folder, "--model", "towers-1-layer", "--user", "1")) == 0
    assert "served by" not in capsys.readouterr().out  # exact: no index line


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--index", "annoy"], ("argument --index: invalid choice: 'annoy'",)),
        (["--index", "ivf", "--nprobe", "0"], ("argument --nprobe:", "an integer from 1 to 65536", "'0'")),
        (["--index", "hnsw", "--ef-search", "1e9"], ("argument --ef-search:", "'1e9'")),
        (["--index", "hnsw", "--hnsw-m", "2"], ("argument --hnsw-m:", "an integer from 4 to 128")),
        (["--index", "ivf", "--nlist", "4", "--nprobe", "8"], ("nprobe must be at most nlist (4), got 8",)),
        (["--index", "ivf", "--nlist", "500"], ("nlist must be at most the 80 movies, got 500",)),
        (["--index", "ivf", "--model", "rating"], ("'rating' is a dlrm model", "no movie vectors")),
    ],
)
def test_cli_bad_index_request_is_one_line(
    args: list[str], needles: tuple[str, ...], saved: Path, ml_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = [] if "--model" in args else ["--model", "towers-1-layer"]
    run_inprocess(_recommend(saved, ml_folder, "--user", "1", *model, *args), capsys, 2, *needles)
