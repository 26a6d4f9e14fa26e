"""The Feature interactions page with DCN entries: the cross matrix beside DotInteraction's heatmap,
the agreement sentence, the DNN control's note, and DCN entries on Home, Runs and Train."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.models.dcn import DCNConfig
from recexplore.store import registry
from recexplore.training.trainer import train
from tests.conftest import save_tiny_models
from tests.test_app_pages import _plotly_array

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
PAGE = str(ROOT / "pages" / "interactions.py")
TIMEOUT = 120
TINY_DCN = {"embedding_dim": 4, "deep_layers": (8,), "epochs": 1, "batch_size": 256}


@pytest.fixture(scope="module")
def dcn_registry(ml_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RECEXPLORE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        folder = save_tiny_models(tmp_path_factory.mktemp("dcn-registry"), ml_folder, {}, "dlrm-default")
        data = load_movielens(ml_folder)
        split = make_split(data)
        registry.save(train("dcn", data, split, DCNConfig(**TINY_DCN)), "dcn-default", folder)
        registry.save(train("dcn", data, split, DCNConfig(**TINY_DCN, cross_layers=0)), "dnn-control", folder)
    return folder


@pytest.fixture
def env(ml_folder: Path, dcn_registry: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(dcn_registry))


def _heatmaps(at: AppTest) -> list[dict]:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return [s for s in specs if s["data"][0]["type"] == "heatmap"]


def test_dlrm_and_dcn_side_by_side_with_their_agreement(env: None) -> None:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.selectbox(key="interactions_model").value == "dlrm-default"
    assert at.selectbox(key="interactions_compare").value == "dcn-default"  # the pretrained DCN, by default
    dot, cross = _heatmaps(at)
    assert "Mean |dot" in dot["layout"]["title"]["text"] and "first cross layer" in cross["layout"]["title"]["text"]
    d, c = _plotly_array(dot["data"][0]["z"]), _plotly_array(cross["data"][0]["z"])
    assert d.shape == c.shape and np.isnan(np.diag(d)).all() and np.all(np.isfinite(c)) and np.all(c > 0)
    captions = " ".join(x.value for x in at.caption)
    assert "Strongest pairs (DotInteraction)" in captions and "Strongest pairs (cross weights)" in captions
    assert any("Do they agree?" in m.value and "Spearman" in m.value for m in at.markdown)


def _alone(name: str) -> AppTest:
    """The page on model `name`, compared with nothing."""
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state["interactions_model"] = name
    at.session_state["interactions_compare"] = "(none)"
    at.run()
    assert not at.exception
    return at


def test_a_dcn_alone_shows_its_cross_matrix_and_parts(env: None) -> None:
    at = _alone("dcn-default")
    (cross,) = _heatmaps(at)
    assert "first cross layer" in cross["layout"]["title"]["text"]
    bars = [json.loads(c.proto.spec) for c in at.get("plotly_chart")][-1]
    assert "cross network + deep part" in json.dumps(bars["data"])  # the residual's own name
    assert not at.dataframe  # DotInteraction's pair table is the DLRM's only


def test_the_dnn_control_says_it_has_no_cross_matrix(env: None) -> None:
    at = _alone("dnn-control")
    assert any("no cross layers" in i.value for i in at.info)


def test_dcn_entries_on_home_runs_and_train(env: None) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    table = next(d for d in at.dataframe if "dcn-default" in d.value["name"].tolist())
    assert "dlrm-default" in table.value["name"].tolist()  # one rating table for both families
    at.switch_page("pages/runs.py").run()
    at.multiselect(key="runs_pick").set_value(["dlrm-default", "dcn-default"]).run()
    assert not at.exception
    at.switch_page("pages/train.py").run()
    at.selectbox(key="train_load_model").set_value("dcn-default").run()
    assert not at.exception
    assert any("FeatureCross" in c.value for c in at.caption)  # the architecture note of its family
