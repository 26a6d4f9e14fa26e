"""AppTest page tests on synthetic data with tiny models in an isolated registry."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.evaluation.rating_peers import rating_baselines
from recexplore.models.dlrm import DLRM_FEATURES
from tests.conftest import save_tiny_models

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
TIMEOUT = 120


@pytest.fixture(scope="module")
def tiny_registry(ml_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry holding a tiny two-tower model and a tiny DLRM trained on the synthetic data."""
    return save_tiny_models(tmp_path_factory.mktemp("registry"), ml_folder, {"towers-1-layer": (8,)}, "dlrm-default")


@pytest.fixture
def app_env(ml_folder: Path, tiny_registry: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(tiny_registry))


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def test_home_without_data_explains_what_to_do() -> None:
    at = _app().run()
    assert not at.exception
    assert at.title[0].value == "RecExplore"
    assert any("RECEXPLORE_DATA_DIR" in w.value for w in at.warning)


def test_home_shows_counts_models_and_device(app_env: None) -> None:
    at = _app().run()
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Users"] == "60" and values["Movies"] == "80"
    rating, retrieval = (t.value for t in at.dataframe[:2])  # one table per kind: no empty cells
    assert at.button(key="home_prepare_start")  # then the offer to train the lessons' missing defaults
    assert list(rating["name"]) == ["dlrm-default"] and list(retrieval["name"]) == ["towers-1-layer"]
    assert "Rating error (RMSE)" in rating.columns and "Popularity: Hit-rate@100" in retrieval.columns
    assert not (rating == "None").any().any() and not (retrieval == "None").any().any()
    model_columns = [c for c in retrieval.columns if not c.startswith("EASE")]
    assert not (retrieval[model_columns] == "—").any().any()
    # EASE on the model's split: "—" until computed (Home never computes it), then its figures.
    assert list(retrieval["EASE: Hit-rate@100"]) == ["—"]
    from recexplore.evaluation.ease_report import cached_report

    data = load_movielens(os.environ["RECEXPLORE_DATA_DIR"])
    expected = cached_report(data, make_split(data), 42)
    at.run()
    retrieval = at.dataframe[1].value
    assert float(retrieval["EASE: Hit-rate@100"][0]) == pytest.approx(expected["ease_hit_rate_at_100"], abs=1e-4)
    assert any("CPU" in m.value or "GPU" in m.value for m in at.sidebar.markdown)
    # The rating baselines beside the DLRM's RMSE: the same split's values.
    baselines = rating_baselines(make_split(data).train, make_split(data).test, 42)
    assert float(rating["Baseline: bias only (RMSE)"][0]) == pytest.approx(baselines["bias_only_rmse"], abs=1e-4)
    assert float(rating["Baseline: global mean (RMSE)"][0]) == pytest.approx(baselines["global_mean_rmse"], abs=1e-4)


def test_train_page_shows_rating_baselines_and_the_architecture(app_env: None) -> None:
    at = _app().run()
    at.switch_page("pages/train.py").run()
    at.selectbox(key="train_load_model").set_value("dlrm-default").run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    data = load_movielens(os.environ["RECEXPLORE_DATA_DIR"])
    baselines = rating_baselines(make_split(data).train, make_split(data).test, 42)
    lines = {
        a["text"].rsplit(" ", 1)[0]: s["y0"]
        for a, s in zip(spec["layout"]["annotations"], spec["layout"]["shapes"], strict=True)
    }
    assert lines == pytest.approx(
        {
            "Baseline: bias only (RMSE)": baselines["bias_only_rmse"],
            "Baseline: global mean (RMSE)": baselines["global_mean_rmse"],
        }
    )
    assert [t["name"] for t in spec["data"]] == ["rmse", "test_rmse"]
    arch = next(d.value for d in at.dataframe if "output shape" in d.value.columns)
    assert "DotInteraction" in set(arch["type"]) and "(batch, 1)" in set(arch["output shape"])
    at.selectbox(key="train_load_model").set_value("towers-1-layer").run()
    assert not json.loads(at.get("plotly_chart")[0].proto.spec)["layout"].get("shapes")  # no rating lines there
    arch = next(d.value for d in at.dataframe if "output shape" in d.value.columns)
    assert list(arch["type"])[-1] == "BruteForceRetrieval" and "(batch, 8)" in set(arch["output shape"])


def test_recommend_for_a_user_excludes_seen_movies(app_env: None, ml_folder: Path) -> None:
    at = _app().run()
    at.switch_page("pages/recommend.py").run()
    assert not at.exception
    at.selectbox(key="recommend_user").set_value(5).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 10 and list(table["rank"]) == list(range(1, 11))
    split = make_split(load_movielens(ml_folder))
    seen = set(split.train.loc[split.train["user_id"] == 5, "movie_id"])
    assert not seen & set(table["movie_id"])  # the training part is never recommended
    assert all(text for text in table["because you rated"])
    # Held-out hits: exactly the listed movies this user rated in the test part, with their stars.
    held = split.test.loc[split.test["user_id"] == 5]
    stars = {int(m): int(r) for m, r in zip(held["movie_id"], held["user_rating"], strict=True)}
    assert list(table["held out"]) == ["★" * stars[m] + " hit" if m in stars else "" for m in table["movie_id"]]
    hits = sum(m in stars for m in table["movie_id"])
    assert any(f"hit-rate@10: {hits} of their {len(stars)} held-out ratings" in i.value for i in at.info)
    parts = at.dataframe[1].value
    assert sorted(parts.loc[parts["part"] == "held out", "movie_title"]) == sorted(
        split.test.merge(load_movielens(ml_folder).movies, on="movie_id").query("user_id == 5")["movie_title"]
    )


def test_a_page_link_reopens_its_model_and_user_and_nothing_else(app_env: None) -> None:
    page = str(Path(APP).parent / "pages" / "recommend.py")
    at = AppTest.from_file(page, default_timeout=TIMEOUT)
    at.query_params.update({"model": "towers-1-layer", "user": "7"})
    at.run()
    assert not at.exception and at.selectbox(key="recommend_user").value == 7
    assert at.subheader[0].value == "Top 10 for user 7"
    at.selectbox(key="recommend_user").set_value(3).run()
    assert (at.query_params["user"], at.query_params["model"]) == ("3", "towers-1-layer")  # the address follows
    odd = AppTest.from_file(page, default_timeout=TIMEOUT)
    odd.query_params.update({"model": "../etc", "user": "99999"})  # names nothing: the defaults, no message
    odd.run()
    assert not odd.exception and not odd.error and odd.selectbox(key="recommend_user").value == 1
    assert odd.selectbox(key="recommend_model").value == "towers-1-layer" and odd.query_params["user"] == "1"


def test_beyond_accuracy_measures_every_retrieval_model_beside_both_baselines(app_env: None) -> None:
    at = AppTest.from_file(str(Path(APP).parent / "pages" / "beyond.py"), default_timeout=TIMEOUT).run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 3  # the scatter, the long tail, the groups
    _, table, slices = (d.value for d in at.dataframe)  # definitions, the models, the groups
    assert list(table["model"]) == ["towers-1-layer", "popularity", "EASE"]
    coverage = dict(zip(table["model"], table["Catalogue coverage@10"].astype(float), strict=True))
    assert 0 < coverage["popularity"] <= 1 and 0 < coverage["towers-1-layer"] <= 1
    groups = list(slices["group"])
    assert "activity < 30" in groups and "held-out tail" in groups
    assert at.info[0].value.startswith(("towers-1-layer", "EASE", "popularity")) and "NDCG@10" in at.info[0].value
    assert "over popularity" in at.info[1].value


def test_recommend_sets_a_baseline_list_beside_the_models(app_env: None) -> None:
    at = AppTest.from_file(str(Path(APP).parent / "pages" / "recommend.py"), default_timeout=TIMEOUT).run()
    box = at.selectbox(key="recommend_other")
    assert box.options == ["popularity (the most-rated movies)", "EASE (linear item-to-item)"]  # no other model here
    assert box.value == box.options[0]  # a baseline first: it always works
    for other in box.options:
        at.selectbox(key="recommend_other").set_value(other).run()
        assert not at.exception and not at.error
        shown = {m.label: float(m.value) for m in at.metric}
        assert 0 <= shown["Shared movies (Jaccard)"] <= 1 and 0 <= shown["Rank-biased overlap"] <= 1
        assert all(0 <= v <= 100 for k, v in shown.items() if k.startswith("Popularity percentile"))
        sides = [d.value for d in at.dataframe[-2:]]  # the two lists side by side, last on the page
        assert [len(s) for s in sides] == [10, 10]
    popular = at.selectbox(key="recommend_other").set_value(box.options[0]).run()
    assert popular.metric[3].label == "Popularity percentile: popularity"


def test_compare_towers_says_whether_each_difference_is_real(app_env: None) -> None:
    at = AppTest.from_file(str(Path(APP).parent / "pages" / "compare_towers.py"), default_timeout=TIMEOUT).run()
    assert not at.exception and not at.error
    tests = at.dataframe[-1].value
    assert set(tests["A - B"]) == {"1-layer - popularity", "1-layer - EASE", "popularity - EASE"}
    assert all(row.startswith("[") for row in tests["95% interval"])
    assert any("is the best model by hit rate@10 on this split" in i.value for i in at.info)


def test_recommend_marks_a_held_out_hit(app_env: None, ml_folder: Path) -> None:
    # Some user on the planted data has a held-out movie in their top 10: it is marked with its stars.
    at = _app().run()
    at.switch_page("pages/recommend.py").run()
    split = make_split(load_movielens(ml_folder))
    for user in sorted(set(split.test["user_id"]))[:30]:
        at.selectbox(key="recommend_user").set_value(int(user)).run()
        marks = [m for m in at.dataframe[0].value["held out"] if m]
        if marks:
            break
    assert marks and all(m.endswith(" hit") and 1 <= m.count("★") <= 5 for m in marks)


def test_recommend_rerank_with_dlrm_sorts_by_predicted_stars(app_env: None) -> None:
    at = _app().run()
    at.switch_page("pages/recommend.py").run()
    at.selectbox(key="recommend_rerank").set_value("dlrm-default").run()
    assert not at.exception
    stars = list(at.dataframe[0].value["predicted stars"])
    assert stars == sorted(stars, reverse=True) and all(1.0 <= s <= 5.0 for s in stars)


def test_recommend_new_user_mode(app_env: None) -> None:
    at = _app().run()
    at.switch_page("pages/recommend.py").run()
    at.radio(key="recommend_mode").set_value("A new user").run()
    assert not at.exception
    assert any("Pick at least one movie" in i.value for i in at.info)
    options = at.multiselect(key="recommend_new_movies").options
    at.multiselect(key="recommend_new_movies").set_value(options[:2]).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 10 and not set(options[:2]) & set(table["movie_title"])


def test_recommend_without_models_says_what_to_do(
    ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(tmp_path))
    at = _app().run()
    at.switch_page("pages/recommend.py").run()
    assert not at.exception
    assert any("No model for this page is saved yet" in i.value for i in at.info)
    assert at.button(key="lesson_prepare_start")  # prepare the data set here; the command is for operators
    assert any("python -m recexplore pretrain" in c.value for c in at.caption)


def _plotly_array(value: object) -> np.ndarray:
    """A plotly JSON array: a plain list, or the typed {"dtype", "bdata", "shape"} encoding."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return flat.reshape([int(x) for x in str(shape).split(",")]) if shape else flat
    return np.array(value, dtype=float)


def test_interactions_page_shows_heatmap_and_breakdown(app_env: None) -> None:
    at = AppTest.from_file(str(Path(APP).parent / "pages" / "interactions.py"), default_timeout=TIMEOUT).run()
    assert not at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    heatmap = json.loads(charts[0].proto.spec)["data"]
    strengths = _plotly_array(heatmap[0]["z"])
    n = len(DLRM_FEATURES)  # the DLRM these tests train has every feature, audience included
    assert strengths.shape == (n, n)
    assert np.isnan(np.diag(strengths)).all() and np.isfinite(strengths[~np.eye(n, dtype=bool)]).all()
    assert "not used by DotInteraction" in heatmap[1]["hovertemplate"]  # the grey, marked diagonal
    labels = {m.label for m in at.metric}
    assert {"User", "Actual stars", "Predicted stars"} <= labels
    at.number_input(key="interactions_row").set_value(5).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == n * (n - 1) // 2  # 10 features -> 45 pairs


@pytest.mark.parametrize(
    "page",
    [
        "pages/data.py",
        "pages/train.py",
        "pages/interactions.py",
        "pages/compare_towers.py",
        "pages/beyond.py",
        "pages/recommend.py",
        "pages/movie_map.py",
    ],
)
def test_every_page_renders_inside_the_navigation(app_env: None, page: str) -> None:
    at = _app().run()
    at.switch_page(page).run()
    assert not at.exception
    assert at.title and at.title[0].value  # each page opens with its title


@pytest.mark.parametrize(
    "page", ["home", "train", "compare_towers", "beyond", "interactions", "recommend", "movie_map"]
)
def test_a_file_as_the_models_folder_gets_one_message(
    ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    not_a_folder = tmp_path / "models"
    not_a_folder.write_text("x")
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(not_a_folder))
    at = AppTest.from_file(str(Path(APP).parent / "pages" / f"{page}.py"), default_timeout=TIMEOUT).run()
    assert not at.exception
    # one message, without the server's path
    assert [e.value for e in at.error] == ["The models folder 'models' is a file, not a folder: point it at a folder."]
