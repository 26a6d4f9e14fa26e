"""The Sampled metrics lesson page (AppTest): saved towers and a next-movie model beside their peers,
full against sampled, the orderings and the paper's number; one line for a bad N or kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recexplore.data.loading import load_movielens
from recexplore.data.splits import LAST_OUT, make_split
from recexplore.families import family
from recexplore.store import registry
from recexplore.training.trainer import train
from tests.conftest import save_tiny_models

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "sampled_metrics.py")
TINY_GRU = {"embedding_dim": 8, "max_len": 6, "epochs": 1, "batch_size": 16}


@pytest.fixture(scope="module")
def sampled_models(ml_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry with two tiny towers (random split) and a tiny GRU (last-out split)."""
    folder = save_tiny_models(
        tmp_path_factory.mktemp("registry"), ml_folder, {"towers-1-layer": (8,), "towers-2-layer": (16, 8)}
    )
    data = load_movielens(ml_folder)
    config = family("sequential").make_config("gru", **TINY_GRU)
    registry.save(train("sequential", data, make_split(data, LAST_OUT), config), "sequential-gru", folder)
    return folder


def _page(ml_folder: Path, models: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(models))
    return AppTest.from_file(PAGE, default_timeout=180)


def test_full_against_sampled_for_every_model_and_peer(
    sampled_models: Path, ml_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _page(ml_folder, sampled_models, monkeypatch).run()
    assert not at.exception
    assert at.title[0].value == "Sampled metrics"
    # 80 synthetic movies: the papers' N = 100 is more than any user has left, said in one line
    (error,) = at.error
    assert "sampled N=100 is more than the" in error.value and "choose N from 1 to" in error.value
    assert "\n" not in error.value

    at.number_input(key="sampled_n").set_value(20).run()
    assert not at.exception and not at.error
    assert [s.value for s in at.subheader] == ["Ranked by Hit-rate@10", "Ranked by Next-movie hit rate@10"]
    retrieval, next_movie = (t.value for t in at.dataframe)
    assert {
        "towers-1-layer",
        "towers-2-layer",
        "Popularity (random split, seed 42)",
        "EASE (random split, seed 42)",
    } == set(retrieval["model"])
    assert {"sequential-gru", "Transitions (last-out split, seed 42)"} <= set(next_movie["model"])
    for table in (retrieval, next_movie):
        full = table["full hit rate@10"].astype(float)
        assert (table["sampled hit rate@10"].astype(float) >= full - 1e-9).all()  # 20 movies are easier than 79
        assert list(full) == sorted(full, reverse=True)
    assert all("Kendall's tau" in i.value for i in at.info) and len(at.info) == 2
    assert all("A sampled HR@10 of 0.82" in s.value for s in at.success)
    assert len(at.get("plotly_chart")) == 2

    at.selectbox(key="sampled_kind").set_value("popularity").run()
    assert not at.exception and not at.error and len(at.dataframe) == 2


@pytest.mark.parametrize(("n", "words"), [(0, "sampled N must be an integer from 1 to 10000, got 0"), (-5, "got -5")])
def test_a_bad_n_is_one_line(
    n: int, words: str, sampled_models: Path, ml_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _page(ml_folder, sampled_models, monkeypatch).run()
    at.number_input(key="sampled_n").set_value(n).run()
    assert not at.exception
    assert len(at.error) == 1 and words in at.error[0].value and "\n" not in at.error[0].value
    assert not at.dataframe
