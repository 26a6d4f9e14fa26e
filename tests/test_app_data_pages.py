"""AppTest runs of the Data and Movie map pages on synthetic data with a tiny two-tower model."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from recexplore.data.loading import load_movielens
from tests.conftest import save_tiny_models

ROOT = Path(__file__).resolve().parent.parent
DATA_PAGE = str(ROOT / "pages" / "data.py")
MAP_PAGE = str(ROOT / "pages" / "movie_map.py")
TIMEOUT = 120


@pytest.fixture(scope="module")
def towers_registry(ml_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry holding one tiny two-tower model trained on the synthetic data."""
    return save_tiny_models(tmp_path_factory.mktemp("registry"), ml_folder, {"towers-1-layer": (8,)})


@pytest.fixture
def app_env(ml_folder: Path, towers_registry: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(towers_registry))


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _values(encoded: list | dict) -> list:
    """A trace's data array as a list (plotly 6 ships numpy arrays as base64 typed arrays)."""
    if isinstance(encoded, dict) and "bdata" in encoded:
        return np.frombuffer(base64.b64decode(encoded["bdata"]), dtype=encoded["dtype"]).tolist()
    return list(encoded)


def test_data_page_without_data_says_what_to_do() -> None:
    at = AppTest.from_file(DATA_PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("RECEXPLORE_DATA_DIR" in w.value for w in at.warning)
    assert not at.get("plotly_chart")


def test_data_page_shows_counts_charts_and_encodings(app_env: None, ml_folder: Path) -> None:
    at = AppTest.from_file(DATA_PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "Data"
    values = {m.label: m.value for m in at.metric}
    assert values["Users"] == "60" and values["Movies"] == "80" and values["Ratings"] == "1,800"
    charts = _charts(at)
    assert len(charts) == 7
    stars = charts[0]["data"][0]
    data = load_movielens(ml_folder)
    assert _values(stars["x"]) == [1, 2, 3, 4, 5] and sum(_values(stars["y"])) == len(data.ratings)
    assert charts[1]["layout"]["yaxis"]["type"] == "log"
    sizes = at.dataframe[0].value
    assert dict(zip(sizes["feature"], sizes["table rows"], strict=True))["user_id"] == 61
    examples = at.dataframe[1].value
    assert (examples.loc[examples["index"] == 0, "value"] == "(out of vocabulary)").all()
    # default sample size: 5 real rows in each example table
    for table in at.dataframe[2:]:
        assert len(table.value) == 5
    time_rows = at.dataframe[2].value
    assert set(time_rows["timestamp"]) <= set(data.ratings["timestamp"])
    assert time_rows["UTC time"].str.match(r"\d{4}-\d\d-\d\d \d\d:\d\d").all()


def test_data_page_sample_size_and_long_tail_toggle(app_env: None) -> None:
    at = AppTest.from_file(DATA_PAGE, default_timeout=TIMEOUT).run()
    at.slider(key="data_rows").set_value(12).run()
    assert not at.exception
    assert [len(t.value) for t in at.dataframe[2:]] == [12, 12, 12]
    first = at.dataframe[2].value
    at.number_input(key="data_seed").set_value(7).run()
    assert not at.exception and not at.dataframe[2].value.equals(first)
    at.radio(key="data_tail").set_value("Ratings per movie").run()
    assert not at.exception
    tail = _charts(at)[1]
    assert "movie" in tail["layout"]["title"]["text"] and len(_values(tail["data"][0]["y"])) <= 80


def test_movie_map_plots_every_movie_and_lists_neighbours(app_env: None) -> None:
    at = AppTest.from_file(MAP_PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "Movie map"
    assert at.selectbox(key="map_model").value == "towers-1-layer"
    (chart,) = _charts(at)
    traces = chart["data"]
    assert [t["name"] for t in traces[-2:]] == ["neighbours", "chosen movie"]
    assert sum(len(_values(t["x"])) for t in traces[:-2]) == 80  # every movie, the OOV row dropped
    assert "of variance" in chart["layout"]["xaxis"]["title"]["text"]
    table = at.dataframe[0].value
    chosen = at.selectbox(key="map_movie").value
    assert len(table) == 10 and chosen not in set(table["movie_id"])
    sims = list(table["cosine similarity"])
    assert sims == sorted(sims, reverse=True) and all(-1.0 <= s <= 1.0 for s in sims)
    assert len(_values(traces[-2]["x"])) == 10


def test_movie_map_neighbours_follow_movie_and_k(app_env: None) -> None:
    at = AppTest.from_file(MAP_PAGE, default_timeout=TIMEOUT).run()
    at.selectbox(key="map_movie").set_value(4).run()
    at.slider(key="map_k").set_value(25).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 25 and 4 not in set(table["movie_id"])
    assert list(table["rank"]) == list(range(1, 26))
    assert any("Café Society" in s.value for s in at.subheader)
    at.slider(key="map_k").set_value(5).run()
    assert len(at.dataframe[0].value) == 5


def test_movie_map_colourings_tsne_and_title_search(app_env: None, ml_folder: Path) -> None:
    at = AppTest.from_file(MAP_PAGE, default_timeout=TIMEOUT).run()
    data = load_movielens(ml_folder)
    counts = data.ratings.groupby("movie_id").size()
    at.selectbox(key="map_colour").set_value("Popularity (ratings, log scale)").run()
    assert not at.exception
    trace = _charts(at)[0]["data"][0]
    ids = [int(m) for m in np.reshape(_values(trace["customdata"]), (-1, 2))[:, 0]]
    assert _values(trace["marker"]["color"]) == pytest.approx([np.log10(max(counts.get(m, 0), 1)) for m in ids])
    at.selectbox(key="map_colour").set_value("Mean rating").run()
    trace = _charts(at)[0]["data"][0]
    means = data.ratings.groupby("movie_id")["user_rating"].mean()
    ids = [int(m) for m in np.reshape(_values(trace["customdata"]), (-1, 2))[:, 0]]
    assert _values(trace["marker"]["color"]) == pytest.approx([means[m] for m in ids])
    at.selectbox(key="map_colour").set_value("Release year").run()
    assert "Release year" in _charts(at)[0]["data"][0]["marker"]["colorbar"]["title"]["text"]
    pca_x = _values(_charts(at)[0]["data"][0]["x"])
    at.radio(key="map_projection").set_value("t-SNE").run()
    assert not at.exception
    chart = _charts(at)[0]
    assert chart["layout"]["xaxis"]["title"]["text"] == "t-SNE 1" and _values(chart["data"][0]["x"]) != pca_x
    title = str(data.movies["movie_title"].iloc[0])
    at.text_input(key="map_search").set_value(title[:5]).run()
    found = next(t for t in _charts(at)[0]["data"] if t["name"] == "title matches")
    assert title in found["text"] and all(title[:5].lower() in t.lower() for t in found["text"])


def test_movie_map_without_towers_model_says_what_to_do(
    ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(tmp_path))
    at = AppTest.from_file(MAP_PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("No model for this page is saved yet (Two-tower (retrieval))" in i.value for i in at.info)
    assert not at.get("plotly_chart")
    assert at.button(key="lesson_prepare_start").label.startswith("Prepare")  # the offer to prepare the data set
