"""Lesson 7, Catalogue scale (AppTest): recall against latency measured live on a tiny towers model's
vectors and on a generated catalogue, a size out of range in one line, the bench's table when it has
run; and the Recommend page serving a list through an index, saying which and its recall."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recexplore.app import index_panel
from recexplore.serving.index_sweep import Point
from tests.conftest import save_tiny_models

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "approximate_retrieval.py")
RECOMMEND = str(ROOT / "pages" / "recommend.py")
TIMEOUT = 180
SETTINGS = 1 + 4 + 5  # brute force, IVF at four nprobe, HNSW at five efSearch


@pytest.fixture(scope="module")
def registry(ml_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_models(tmp_path_factory.mktemp("scale-registry"), ml_folder, {"towers-1-layer": (8,)})


@pytest.fixture
def env(ml_folder: Path, registry: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The app on the synthetic data and the tiny towers, the bench's results file in `tmp_path`."""
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(registry))
    results = tmp_path / "ann_bench.json"
    monkeypatch.setattr(index_panel, "BENCH_RESULTS", results)
    return results


def _point(n_movies: int, index: str, kind: str, recall: float, ms: float) -> dict[str, object]:
    return Point(index, kind, n_movies, recall, ms, ms * 2, ms * 50, ms * 60, 256, 0.5, 10_000).as_dict()


def test_the_page_measures_every_setting_live(env: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "Catalogue scale"
    table = at.dataframe[0].value
    assert len(table) == SETTINGS and set(table["movies"]) == {80}
    assert table["index"][0] == "exact (BruteForceRetrieval)" and table["recall@10"][0] == 1.0
    assert table["recall@10"].between(0.0, 1.0).all()
    every = table.loc[table["index"] == "IVF (nlist=9, nprobe=9)", "recall@10"]  # every list probed: exact
    assert len(every) == 2 and (every == 1.0).all()
    assert at.info[0].value.startswith("At 80 movies")
    figure = at.get("plotly_chart")[0].proto.spec
    assert "brute force" in figure and "efSearch=256" in figure and "nprobe=1" in figure
    assert any("The bench has not run here" in c.value for c in at.caption)


def test_a_generated_catalogue_and_a_size_out_of_range(env: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    at.radio(key="scale_source").set_value("A generated larger catalogue").run()
    at.number_input(key="scale_size").set_value(500).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "A generated catalogue here has from 1,000 to 200,000 movies, got 500: the bench below measures 1,000,000."
    ]
    assert not at.dataframe  # nothing measured
    at.number_input(key="scale_size").set_value(3000).run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert set(table["movies"]) == {3000} and len(table) == SETTINGS
    assert "IVF (nlist=55, nprobe=16)" in set(table["index"])


def test_the_bench_table_when_it_has_run(env: Path) -> None:
    points = [
        _point(1_000_000, "exact (BruteForceRetrieval)", "exact", 1.0, 30.0),
        _point(1_000_000, "IVF (nlist=1000, nprobe=16)", "ivf", 0.97, 1.5),
        _point(1_682, "exact (BruteForceRetrieval)", "exact", 1.0, 2.0),
    ]
    record = {"source": "stand-in", "machine": "test machine", "queries": 943, "points": points}
    env.write_text(json.dumps(record))
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.selectbox(key="scale_bench").value == 1_000_000  # the largest first
    bench = at.dataframe[1].value
    assert list(bench["index"]) == ["exact (BruteForceRetrieval)", "IVF (nlist=1000, nprobe=16)"]
    assert list(bench["x brute force"]) == [1.0, 20.0]
    assert at.info[1].value.startswith("At 1,000,000 movies, IVF (nlist=1000, nprobe=16) keeps recall@10 0.97")


def test_recommend_serves_through_the_chosen_index(env: Path) -> None:
    at = AppTest.from_file(RECOMMEND, default_timeout=TIMEOUT).run()
    assert not at.exception
    exact = at.dataframe[0].value["movie_id"].tolist()
    assert "Served by exact (BruteForceRetrieval): recall@10 vs exact 1.00." in [c.value for c in at.caption]
    at.selectbox(key="recommend_index").set_value("ivf").run()
    at.select_slider(key="recommend_nprobe").set_value(9).run()  # every list: the exact list
    assert not at.exception
    assert at.dataframe[0].value["movie_id"].tolist() == exact
    assert "Served by IVF (nlist=9, nprobe=9): recall@10 vs exact 1.00." in [c.value for c in at.caption]
    at.selectbox(key="recommend_index").set_value("hnsw").run()
    assert not at.exception
    line = next(c.value for c in at.caption if c.value.startswith("Served by"))
    assert line.startswith("Served by HNSW (M=32, efSearch=64): recall@10 vs exact ")
    served = at.dataframe[0].value["movie_id"].tolist()
    assert float(line.rsplit(" ", 1)[1].rstrip(".")) == pytest.approx(len(set(served) & set(exact)) / 10, abs=0.005)
