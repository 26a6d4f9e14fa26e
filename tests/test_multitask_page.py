"""The multi-task lesson page (AppTest): the trade-off from saved models, the offer to prepare when
there are none, and the family on the Train and Runs pages (a task with both kinds of metrics)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.families import family
from recexplore.store import registry
from recexplore.training.trainer import train
from tests.conftest import save_tiny_models

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "multitask.py")
APP = str(ROOT / "streamlit_app.py")
TINY = {"epochs": 1, "batch_size": 256, "embedding_dim": 8, "distill_weight": 0.0}
WEIGHTS = (0.0, 0.5, 1.0)


@pytest.fixture(scope="module")
def saved(ml_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry with tiny multi-task models at three weights, a tiny DLRM and tiny 1-layer towers."""
    folder = save_tiny_models(tmp_path_factory.mktemp("registry"), ml_folder, {"towers-1-layer": (8,)}, "dlrm-default")
    data = load_movielens(ml_folder)
    split = make_split(data)
    for weight in WEIGHTS:
        config = family("multitask").make_config(retrieval_weight=weight, **TINY)
        registry.save(train("multitask", data, split, config), f"multitask-{round(weight * 100)}", folder)
    return folder


def test_the_trade_off_from_saved_models(saved: Path, ml_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A point per saved weight, the DLRM and the towers as reference lines, the sentence on the balance."""
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(saved))
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "One model, two tasks"
    table = at.dataframe[0].value
    assert table["weight"].tolist() == list(WEIGHTS)
    assert table["test_rmse"].between(0.0, 4.0).all() and table["hit_rate_at_10"].between(0.0, 1.0).all()
    sentence = at.info[0].value
    assert "retrieval weight 0.5" in sentence and "the DLRM" in sentence and "the 1-layer towers" in sentence
    figure = at.get("plotly_chart")[0].proto.spec
    assert "DLRM (rating only)" in figure and "w=0.5" in figure

    at.radio(key="multitask_source").set_value("Train the weights now").run()
    assert not at.exception
    assert at.multiselect(key="multitask_weights").value == [0.0, 0.1, 0.5, 0.9]  # the workspace's 4 jobs


def test_no_saved_model_offers_to_prepare(ml_folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert any("No multi-task model is saved" in i.value for i in at.info)


def test_train_and_runs_pages_take_the_family(saved: Path, ml_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Train page offers its weight as a setting; Runs lists its saved models beside the others, and
    Home gives its task a table of its own."""
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(saved))
    title = family("multitask").title
    page = AppTest.from_file(str(ROOT / "pages" / "train.py"), default_timeout=120).run()
    page.radio(key="train_kind").set_value(title).run()
    assert not page.exception
    assert page.number_input(key="train_retrieval_weight_multitask").value == 0.5

    runs = AppTest.from_file(APP, default_timeout=120).run()
    runs.switch_page("pages/runs.py").run()
    assert not runs.exception
    assert {f"multitask-{round(w * 100)}" for w in WEIGHTS} <= set(runs.multiselect(key="runs_pick").options)
    runs.multiselect(key="runs_pick").set_value(["multitask-50", "dlrm-default"]).run()
    assert not runs.exception

    home = AppTest.from_file(str(ROOT / "pages" / "home.py"), default_timeout=120).run()
    assert not home.exception
    table = next(d.value for d in home.dataframe if "name" in d.value and "multitask-50" in d.value["name"].tolist())
    assert set(table["name"]) == {f"multitask-{round(w * 100)}" for w in WEIGHTS}  # its task's own table
