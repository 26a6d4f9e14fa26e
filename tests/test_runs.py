"""Runs side by side: the library tables and the Runs page (AppTest) on tiny saved models."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recexplore.app import runs
from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.evaluation.rating_peers import rating_baselines
from recexplore.store import registry
from tests.conftest import save_tiny_models

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
TIMEOUT = 120


@pytest.fixture(scope="module")
def runs_registry(ml_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_models(
        tmp_path_factory.mktemp("registry"),
        ml_folder,
        {"towers-1-layer": (8,), "towers-2-layer": (16, 8)},
        "dlrm-default",
    )


@pytest.fixture
def app_env(ml_folder: Path, runs_registry: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(runs_registry))


def _metas(folder: Path, *names: str) -> dict[str, dict]:
    entries = {e.name: e for e in registry.list_entries(folder)}
    return {n: entries[n].meta for n in names}


def test_settings_table_marks_exactly_the_differences(runs_registry: Path) -> None:
    table = runs.settings_table(_metas(runs_registry, "towers-1-layer", "towers-2-layer")).set_index("setting")
    assert table.loc["layers", "towers-1-layer"] == "8" and table.loc["layers", "towers-2-layer"] == "16,8"
    assert table.loc["layers", runs.DIFFERS] and table.loc["params", runs.DIFFERS]
    assert not table.loc["embedding_dim", runs.DIFFERS] and not table.loc["kind", runs.DIFFERS]
    mixed = runs.settings_table(_metas(runs_registry, "towers-1-layer", "dlrm-default")).set_index("setting")
    assert mixed.loc["fm_path", "towers-1-layer"] == "—" and mixed.loc["fm_path", runs.DIFFERS]


def test_histories_csv_round_trips(runs_registry: Path) -> None:
    metas = _metas(runs_registry, "towers-1-layer", "dlrm-default")
    rows = list(csv.DictReader(io.StringIO(runs.histories_csv(metas))))
    expected = sum(len([k for k in row if k != "epoch"]) for m in metas.values() for row in m["history"])
    assert len(rows) == expected and {r["run"] for r in rows} == set(metas)
    first = metas["dlrm-default"]["history"][0]
    value = next(r for r in rows if r["run"] == "dlrm-default" and r["epoch"] == "1" and r["metric"] == "test_rmse")
    assert float(value["value"]) == pytest.approx(first["test_rmse"])


def test_runs_page_overlays_diffs_and_baselines(app_env: None, ml_folder: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/runs.py").run()
    assert not at.exception
    at.multiselect(key="runs_pick").set_value(["towers-1-layer", "towers-2-layer"]).run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [t["name"] for t in spec["data"]] == ["towers-1-layer", "towers-2-layer"]
    metas = _metas(Path(os.environ["RECEXPLORE_MODELS_DIR"]), "towers-1-layer", "towers-2-layer")
    assert spec["data"][1]["y"] == [h["hit_rate_at_100"] for h in metas["towers-2-layer"]["history"]]
    popularity = metas["towers-1-layer"]["metrics"]["popularity_hit_rate_at_100"]
    assert spec["layout"]["shapes"][0]["y0"] == pytest.approx(popularity)
    settings = at.dataframe[0].value  # only the differences, by default
    assert "layers" in set(settings["setting"]) and "embedding_dim" not in set(settings["setting"])
    metrics = at.dataframe[1].value.set_index("metric")
    assert float(metrics.loc["Hit-rate@10", "towers-2-layer"]) == pytest.approx(
        metas["towers-2-layer"]["metrics"]["hit_rate_at_10"], abs=1e-4
    )
    assert at.get("download_button")

    # A DLRM's validation RMSE with the rating baselines of its split as lines.
    at.multiselect(key="runs_pick").set_value(["dlrm-default"]).run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    split = make_split(load_movielens(ml_folder))
    expected = rating_baselines(split.train, split.test, 42)
    assert sorted(s["y0"] for s in spec["layout"]["shapes"]) == pytest.approx(
        sorted([expected["bias_only_rmse"], expected["global_mean_rmse"]])
    )


def test_runs_page_without_a_pick_says_what_to_do(app_env: None) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("pages/runs.py").run()
    at.multiselect(key="runs_pick").set_value([]).run()
    assert not at.exception
    assert any("Pick one or more" in i.value for i in at.info)
