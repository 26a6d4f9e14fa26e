"""Train and Compare pages (AppTest on synthetic data, isolated registry) and recexplore.app.train_forms."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from recexplore.app.tower_comparison import TowerRun, comparison_rows, comparison_sentence, popularity_value
from recexplore.app.train_forms import build_config, job_label, queue_message
from recexplore.config.settings import parse_layers
from recexplore.data.loading import load_movielens
from recexplore.models.dlrm import DLRMConfig
from recexplore.models.towers import PRESET_ENTRIES, TOWER_PRESETS, TowerConfig
from recexplore.store import registry, workspaces
from recexplore.store.data_presets import keep_preset, presets_for
from recexplore.training.request import TrainRequest
from tests.conftest import save_tiny_models

ROOT = Path(__file__).resolve().parent.parent
TRAIN_PAGE = str(ROOT / "pages" / "train.py")
COMPARE_PAGE = str(ROOT / "pages" / "compare_towers.py")
TIMEOUT = 120


@pytest.fixture(scope="module")
def presets_registry(ml_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry holding tiny towers-1-layer, towers-2-layer and towers-3-layer models."""
    presets = {PRESET_ENTRIES[preset]: layers for preset, layers in TOWER_PRESETS.items()}
    return save_tiny_models(tmp_path_factory.mktemp("presets"), ml_folder, presets)


def _train_page() -> AppTest:
    return AppTest.from_file(TRAIN_PAGE, default_timeout=TIMEOUT)


def _compare_page() -> AppTest:
    return AppTest.from_file(COMPARE_PAGE, default_timeout=TIMEOUT)


def _wait_for_jobs(at: AppTest, seconds: float = 60.0) -> None:
    """Re-run the page until none of its session's jobs is queued or running."""
    from recexplore.app import session_workspace, training_jobs
    from recexplore.engine.jobs import FINISHED

    owner = at.session_state[session_workspace.WORKSPACE_KEY]
    deadline = time.time() + seconds
    while time.time() < deadline:
        if all(j.status in FINISHED for j in training_jobs.job_manager().jobs_for(owner)):
            break
        time.sleep(0.2)
    at.run()


# ---------------------------------------------------------------- pages


def test_train_page_renders_with_defaults(data_env: None) -> None:
    at = _train_page().run()
    assert not at.exception
    assert at.title[0].value == "Train"
    assert not at.error
    assert at.button(key="train_submit").disabled is False
    assert any("No saved models" in i.value for i in at.info)


def test_train_page_invalid_values_show_an_error(data_env: None) -> None:
    at = _train_page().run()
    at.text_input(key="train_top_layers_dlrm").set_value("64,abc").run()
    assert not at.exception
    assert any("top MLP widths" in e.value for e in at.error)
    assert at.button(key="train_submit").disabled
    at.text_input(key="train_top_layers_dlrm").set_value("64,32").run()
    assert not at.error
    at.radio(key="train_kind").set_value("Two-tower (retrieval)").run()
    at.number_input(key="train_learning_rate_towers").set_value(0.0).run()
    assert not at.exception
    assert any("learning_rate" in e.value for e in at.error)


def test_train_page_depth_brings_its_own_training(data_env: None) -> None:
    """Picking a depth sets the epochs and learning rate to that depth's tuned values."""
    at = _train_page().run()
    at.radio(key="train_kind").set_value("Two-tower (retrieval)").run()
    assert at.selectbox(key="train_preset_towers").value == "1-layer"
    assert at.number_input(key="train_learning_rate_towers").value == pytest.approx(TowerConfig().learning_rate)
    at.selectbox(key="train_preset_towers").set_value("3-layer").run()
    assert not at.exception
    assert at.slider(key="train_epochs_towers").value == 7
    assert at.number_input(key="train_learning_rate_towers").value == pytest.approx(5e-3)
    at.number_input(key="train_learning_rate_towers").set_value(0.004).run()  # a person's edit stays
    assert at.number_input(key="train_learning_rate_towers").value == pytest.approx(0.004)
    at.selectbox(key="train_preset_towers").set_value("1-layer").run()
    assert at.slider(key="train_epochs_towers").value == TowerConfig().epochs


def test_train_page_offers_a_preset_kept_for_this_data_set_first(data_env: None, ml_folder: Path) -> None:
    """A sweep's best kept for the loaded data set comes first, with every setting it kept (those the
    form does not show included); a preset kept for another data set is not offered."""
    record = {
        "kind": "towers",
        "preset": "2-layer",
        "fixed": {},
        "metric": "hit_rate_at_10",
        "best": {
            "settings": {"learning_rate": 0.0042, "weight_decay": 0.05, "user_history": "mean"},
            "validation": 0.2,
        },
    }
    keep_preset({**record, "data_fingerprint": load_movielens(ml_folder).fingerprint}, "tuned-here", None)
    keep_preset({**record, "data_fingerprint": "elsewhere"}, "tuned-there", None)
    at = _train_page().run()
    at.radio(key="train_kind").set_value("Two-tower (retrieval)").run()
    box = at.selectbox(key="train_preset_towers")
    assert box.options[0].startswith("tuned-here (tuned on this data set") and len(box.options) == 4
    assert box.value == "tuned-here"
    assert at.number_input(key="train_learning_rate_towers").value == pytest.approx(0.0042)
    assert at.text_input(key="train_layers_towers").value == "64,32"  # its base preset's widths
    fingerprint = load_movielens(ml_folder).fingerprint
    kept = {p.name: p for p in presets_for("towers", fingerprint, [None])}
    config = build_config("towers", {"preset": "tuned-here", "learning_rate": 0.003}, kept)
    assert (config.learning_rate, config.weight_decay, config.user_history) == (0.003, 0.05, "mean")


def test_train_page_refuses_a_job_that_cannot_fit_in_memory(data_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    from recexplore.app import session_workspace, training_jobs

    at = _train_page().run()  # the data is loaded (and kept) first: its own memory check is not the point here
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(available=1024))
    at.button(key="train_submit").click().run()
    assert not at.exception
    assert any("not enough memory" in e.value and "\n" not in e.value for e in at.error)
    assert training_jobs.job_manager().jobs_for(at.session_state[session_workspace.WORKSPACE_KEY]) == []


def test_train_save_and_refuse_duplicate(data_env: None, ray_engine: None) -> None:
    from recexplore.app import session_workspace

    at = _train_page().run()
    at.radio(key="train_kind").set_value("Two-tower (retrieval)").run()
    at.selectbox(key="train_preset_towers").set_value("1-layer")
    at.number_input(key="train_embedding_dim_towers").set_value(4)
    at.slider(key="train_epochs_towers").set_value(1)
    at.number_input(key="train_batch_size_towers").set_value(256).run()
    assert not at.error
    at.button(key="train_submit").click().run()
    assert not at.exception
    assert any("Job" in m.value for m in at.markdown)
    _wait_for_jobs(at)
    assert not at.exception
    assert any("· done" in m.value for m in at.markdown)
    assert not at.error

    token = at.session_state[session_workspace.WORKSPACE_KEY]
    assert token not in str(dict(at.query_params))  # the page's address never carries the workspace
    at.text_input(key="train_save_name").set_value("my tiny")  # a space: refused by check_name
    at.button(key="train_save").click().run()
    assert any("Invalid model name" in e.value for e in at.error)
    assert workspaces.own_entries(token) == []

    at.text_input(key="train_save_name").set_value("my-tiny")
    at.button(key="train_save").click().run()
    assert not at.exception
    assert any("Saved as 'my-tiny'" in s.value for s in at.success)
    assert registry.list_entries() == []  # saved into the workspace, not the shared registry
    entries = workspaces.own_entries(token)
    assert [e.name for e in entries] == ["my-tiny"] and entries[0].ok and entries[0].kind == "towers"
    assert entries[0].meta["config"]["layers"] == [32] and entries[0].meta["config"]["embedding_dim"] == 4

    at.button(key="train_save").click().run()
    assert not at.exception
    assert any("already exists" in e.value for e in at.error)
    assert not at.success
    created = workspaces.own_entries(token)[0].meta["created"]

    at.checkbox(key="train_overwrite").check()
    at.button(key="train_save").click().run()
    assert any("Saved as 'my-tiny'" in s.value for s in at.success)
    entries = workspaces.own_entries(token)
    assert [e.name for e in entries] == ["my-tiny"] and entries[0].ok and entries[0].meta["created"] >= created

    # the saved entry is listed in the "load an existing entry" section
    assert at.selectbox(key="train_load_model").options == ["my-tiny"]


def test_train_page_hides_other_workspaces_jobs(data_env: None, ml_folder: Path, ray_engine: None) -> None:
    from recexplore.app import training_jobs

    config = TowerConfig(layers=(8,), embedding_dim=4, batch_size=256, epochs=1)
    request = TrainRequest("towers", config, seed=1, label="secret-job")
    other = training_jobs.job_manager().submit("someone-else" * 2, request, load_movielens(ml_folder))
    try:
        at = _train_page().run()
        assert not at.exception
        assert not any("secret-job" in m.value for m in at.markdown)
        assert any("No training jobs in this workspace" in c.value for c in at.caption)
    finally:
        training_jobs.job_manager().wait(other, 120)


def test_train_page_cancel(data_env: None, ray_engine: None) -> None:
    at = _train_page().run()
    at.radio(key="train_kind").set_value("Two-tower (retrieval)").run()
    at.number_input(key="train_embedding_dim_towers").set_value(4)
    at.slider(key="train_epochs_towers").set_value(50)
    at.number_input(key="train_batch_size_towers").set_value(64).run()
    at.button(key="train_submit").click().run()
    assert not at.exception
    assert len(at.get("progress")) == 1
    cancel = [b for b in at.button if b.key and b.key.startswith("train_cancel_")]
    assert len(cancel) == 1
    cancel[0].click().run()
    assert not at.exception
    _wait_for_jobs(at)
    assert any("cancelled" in m.value for m in at.markdown)
    assert any("Cancelled" in w.value for w in at.warning)
    assert not any(b.key and b.key.startswith("train_cancel_") for b in at.button)


def test_compare_page_without_models_says_what_to_do(data_env: None) -> None:
    at = _compare_page().run()
    assert not at.exception
    assert any("prepare it below" in i.value for i in at.info)  # the one-click offer (issue 33, item 6)
    assert at.button(key="lesson_prepare_start").label.startswith("Prepare")


def test_compare_page_from_registry(data_env: None, presets_registry: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(presets_registry))
    at = _compare_page().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["preset"]) == ["1-layer", "2-layer", "3-layer", "EASE (linear baseline)"]
    ease = table.iloc[-1]
    table = table.iloc[:3]
    assert list(table["layers"]) == ["32", "64,32", "128,64,32"]
    assert [int(p.replace(",", "")) for p in table["parameters"]] == sorted(
        int(p.replace(",", "")) for p in table["parameters"]
    )
    chart = at.get("plotly_chart")[0]
    import json

    spec = json.loads(chart.proto.spec)
    traces = spec["data"]
    assert [t["name"] for t in traces] == ["1-layer", "2-layer", "3-layer"]
    shapes = spec["layout"].get("shapes", [])
    popularity = float(table["Popularity: Hit-rate@100"][0])
    assert len(shapes) == 2 and shapes[0]["y0"] == pytest.approx(popularity, abs=1e-4)
    assert shapes[1]["y0"] == pytest.approx(float(ease["Hit-rate@100"]), abs=1e-4)  # EASE's line, same split
    assert any("hit-rate@100" in i.value and "popularity" in i.value for i in at.info)

    at.radio(key="compare_k").set_value("@10").run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["shapes"][0]["y0"] == pytest.approx(float(table["Popularity: Hit-rate@10"][0]), abs=1e-4)
    assert any("hit-rate@10 " in i.value for i in at.info)


def test_compare_page_train_all_three(data_env: None, ray_engine: None) -> None:
    from recexplore.app import session_workspace, training_jobs

    at = _compare_page().run()
    at.radio(key="compare_source").set_value("Train all three now").run()
    assert not at.exception
    assert at.slider(key="compare_epochs").disabled  # each depth trains as tuned for it ...
    assert "3-layer at learning rate 0.005 for 7 epochs" in " ".join(c.value for c in at.caption)
    at.checkbox(key="compare_same").check().run()  # ... unless all three train alike
    at.slider(key="compare_epochs").set_value(1).run()
    at.button(key="compare_train").click().run()
    assert not at.exception
    jobs = training_jobs.job_manager().jobs_for(at.session_state[session_workspace.WORKSPACE_KEY])
    assert sorted(j.request.preset for j in jobs) == ["1-layer", "2-layer", "3-layer"]
    assert {(j.request.config.epochs, j.request.config.learning_rate) for j in jobs} == {(1, 9e-3)}
    by_submission = [j.request.preset for j in sorted(jobs, key=lambda j: j.submitted)]
    assert by_submission == ["3-layer", "2-layer", "1-layer"]  # the deepest (longest) is queued first
    _wait_for_jobs(at, 240)
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["preset"]) == ["1-layer", "2-layer", "3-layer", "EASE (linear baseline)"]
    # The three models are saved from here, under one prefix, into this workspace.
    at.text_input(key="compare_save_prefix").set_value("class").run()
    at.button(key="compare_save").click().run()
    assert not at.exception
    assert any("Saved class-1-layer, class-2-layer, class-3-layer" in s.value for s in at.success)
    owner = at.session_state[session_workspace.WORKSPACE_KEY]
    assert {"class-1-layer", "class-2-layer", "class-3-layer"} <= {e.name for e in workspaces.own_entries(owner)}


# ---------------------------------------------------------------- train_forms


def test_parse_layers() -> None:
    assert parse_layers("64, 32") == (64, 32)
    assert parse_layers("128;64") == (128, 64)
    assert parse_layers("", allow_empty=True) == ()
    with pytest.raises(ValueError, match="at least one"):
        parse_layers("")
    with pytest.raises(ValueError, match="whole numbers"):
        parse_layers("64,x", "top")


def test_build_config() -> None:
    config = build_config("towers", {"preset": "3-layer", "embedding_dim": 8, "epochs": 2})
    assert isinstance(config, TowerConfig) and config.layers == (128, 64, 32) and config.embedding_dim == 8
    assert config.epochs == 2 and config.learning_rate == 5e-3  # the form's value wins; the rest is the preset's
    assert build_config("towers", {"preset": "1-layer"}) == TowerConfig()  # the default config is the 1-layer preset
    dlrm = build_config("dlrm", {"top_layers": (16,), "learning_rate": 0.01})
    assert isinstance(dlrm, DLRMConfig) and dlrm.top_layers == (16,) and dlrm.batch_size == DLRMConfig().batch_size
    with pytest.raises(ValueError, match="learning_rate"):
        build_config("towers", {"learning_rate": 0.0})
    with pytest.raises(ValueError, match="preset"):
        build_config("towers", {"preset": "9-layer"})
    with pytest.raises(ValueError, match="unknown"):
        build_config("dlrm", {"nonsense": 1})
    with pytest.raises(ValueError, match="model family must be one of"):
        build_config("svd", {})


def test_job_label_and_queue_message() -> None:
    assert job_label("towers", TowerConfig(layers=(32,), epochs=3)) == "two-tower 1-layer, dim 48, 3 epochs"
    assert "layers 7" in job_label("towers", TowerConfig(layers=(7,)))
    assert job_label("dlrm", DLRMConfig()).startswith("DLRM")
    assert queue_message("queued", 3) == "waiting for a free worker: 2 jobs ahead"
    assert queue_message("queued", 2) == "waiting for a free worker: 1 job ahead"
    assert queue_message("queued", 1) == "waiting for a free worker: 0 jobs ahead"
    assert queue_message("running", 0) == "training"
    assert queue_message("done", -1) == "done"


def _run(label: str, layers: tuple[int, ...], hr100: float, hr10: float = 0.05, pop100: float = 0.3) -> TowerRun:
    metrics = {
        "hit_rate_at_10": hr10,
        "hit_rate_at_100": hr100,
        "popularity_hit_rate_at_10": 0.04,
        "popularity_hit_rate_at_100": pop100,
        "seed_top100_accuracy": 0.5,
        "seed_top100_accuracy_all": 0.4,
        "popularity_seed_top100_accuracy": 0.45,
        "popularity_seed_top100_accuracy_all": 0.35,
    }
    history = [{"epoch": 1, "hit_rate_at_100": hr100 / 2}, {"epoch": 2, "hit_rate_at_100": hr100}]
    return TowerRun(label, metrics, history, params=1000 * len(layers), train_seconds=1.234, layers=layers)


def test_comparison_rows() -> None:
    rows = comparison_rows([_run("1-layer", (32,), 0.4), _run("2-layer", (64, 32), 0.5)])
    assert len(rows) == 2
    assert rows[1]["layers"] == "64,32" and rows[1]["parameters"] == "2,000" and rows[0]["training time (s)"] == "1.2"
    assert rows[0]["Hit-rate@100"] == "0.4000" and rows[0]["Popularity: Hit-rate@100"] == "0.3000"
    assert rows[0]["Tutorial top-100 accuracy (5-star)"] == "0.5000"
    assert rows[0]["Tutorial top-100 accuracy (all)"] == "0.4000"
    assert rows[0]["epochs"] == "2"
    empty = comparison_rows([TowerRun("x", {})])[0]  # missing values read "—", never "None"
    assert empty["Hit-rate@100"] == empty["parameters"] == empty["layers"] == "—"


def test_comparison_sentence_cases() -> None:
    one, two, three = (32,), (64, 32), (128, 64, 32)
    rising = comparison_sentence([_run("1-layer", one, 0.4), _run("2-layer", two, 0.5), _run("3-layer", three, 0.6)])
    assert rising.startswith("The 3-layer towers are best at hit-rate@100 (0.600)")
    assert "0.300 above the popularity baseline (0.300, +100%)" in rising and "each extra layer helped" in rising
    falling = comparison_sentence([_run("1-layer", one, 0.6), _run("2-layer", two, 0.5), _run("3-layer", three, 0.4)])
    assert "1-layer" in falling.split(";")[0] and "deeper towers did not help" in falling
    peak = comparison_sentence([_run("1-layer", one, 0.4), _run("2-layer", two, 0.6), _run("3-layer", three, 0.5)])
    assert "depth helped up to 2-layer, not beyond" in peak
    bumpy = comparison_sentence([_run("1-layer", one, 0.5), _run("2-layer", two, 0.4), _run("3-layer", three, 0.6)])
    assert "not every extra layer helped" in bumpy
    below = comparison_sentence([_run("1-layer", one, 0.2)])
    assert "0.100 below the popularity baseline" in below and ";" not in below
    at10 = comparison_sentence([_run("1-layer", one, 0.2, hr10=0.09)], k=10)
    assert "hit-rate@10 (0.090)" in at10 and "(0.040" in at10
    assert comparison_sentence([]) == "No model has a hit-rate@100 yet."


def test_popularity_value_and_from_meta() -> None:
    assert popularity_value([TowerRun("x", {}), _run("y", (1,), 0.5, pop100=0.25)]) == 0.25
    assert popularity_value([TowerRun("x", {})]) is None
    meta = {
        "metrics": {"hit_rate_at_100": 0.5},
        "history": [{"epoch": 1}],
        "params": 10,
        "train_seconds": 2.0,
        "config": {"layers": [64, 32]},
    }
    run = TowerRun.from_meta("2-layer", meta)
    assert run.layers == (64, 32) and run.params == 10 and run.history == [{"epoch": 1}]
    assert TowerRun.from_meta("x", {}).metrics == {}


def test_compare_goes_through_the_same_submit_path_and_memory_check(
    data_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compare used to skip the memory check; now all three presets are refused with one line, none queued."""
    import psutil

    from recexplore.app import session_workspace, training_jobs

    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(available=1024))
    at = _compare_page().run()
    at.radio(key="compare_source").set_value("Train all three now").run()
    at.button(key="compare_train").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "not enough memory" in at.error[0].value and "\n" not in at.error[0].value
    assert training_jobs.job_manager().jobs_for(at.session_state[session_workspace.WORKSPACE_KEY]) == []


def test_the_workspace_job_limit_refuses_with_one_line(
    data_env: None, ray_engine: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recexplore.app import session_workspace, training_jobs
    from recexplore.app.train_forms import PANEL_REFRESH_S

    asked = _record_fragment_intervals(monkeypatch)

    at = _train_page().run()
    at.radio(key="train_kind").set_value("Two-tower (retrieval)").run()
    at.number_input(key="train_embedding_dim_towers").set_value(4)
    at.slider(key="train_epochs_towers").set_value(50)
    at.number_input(key="train_batch_size_towers").set_value(16).run()
    manager = training_jobs.job_manager()
    limit = manager.settings.max_active_jobs
    assert any(f"{limit} jobs queued or running at once" in c.value for c in at.caption)  # the limit is shown
    for _ in range(limit):
        at.button(key="train_submit").click().run()
        assert not at.error
    at.button(key="train_submit").click().run()
    assert not at.exception and len(at.error) == 1 and "\n" not in at.error[0].value
    assert f"may have {limit} jobs queued or running at once" in at.error[0].value
    jobs = manager.jobs_for(at.session_state[session_workspace.WORKSPACE_KEY])
    assert len(jobs) == limit
    assert asked[-1] == PANEL_REFRESH_S  # the panel polls while the jobs are queued or running
    for job in jobs:
        manager.cancel(job)
    assert all(manager.wait(job, 60) for job in jobs)
    at.run()
    assert asked[-1] is None  # and stops once none is


def test_job_panels_poll_only_while_a_job_is_queued_or_running() -> None:
    """An idle Train or Compare page schedules no redraws (it costs the server nothing)."""
    from recexplore.app.train_forms import PANEL_REFRESH_S, refresh_interval

    def jobs(*statuses: str) -> list[SimpleNamespace]:
        return [SimpleNamespace(status=s) for s in statuses]

    assert refresh_interval([]) is None
    assert refresh_interval(jobs("done", "failed", "cancelled")) is None
    assert refresh_interval(jobs("done", "queued")) == PANEL_REFRESH_S
    assert refresh_interval(jobs("running")) == PANEL_REFRESH_S


@pytest.mark.parametrize("page", ["train", "compare"])
def test_an_idle_job_panel_schedules_no_redraws(data_env: None, page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _record_fragment_intervals(monkeypatch)
    at = (_train_page() if page == "train" else _compare_page()).run()
    if page == "compare":
        at.radio(key="compare_source").set_value("Train all three now").run()
    assert not at.exception
    assert asked and all(every is None for every in asked)  # no job: no polling at all


def _record_fragment_intervals(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record the run_every each page run asks `st.fragment` for (None: no polling)."""
    import streamlit

    asked: list[Any] = []
    original = streamlit.fragment

    def recording(func: Any = None, *, run_every: Any = None, **kwargs: Any) -> Any:
        asked.append(run_every)
        return original(func, run_every=run_every, **kwargs)

    monkeypatch.setattr(streamlit, "fragment", recording)
    return asked


def test_live_comparison_chart_draws_before_any_model_finishes() -> None:
    """Curves of running models show from their first epoch; the popularity line waits for a result."""
    from recexplore.app import model_figures as figures

    live = figures.hit_rate_comparison({"1-layer (training)": [{"epoch": 1, "hit_rate_at_100": 0.3}]}, None)
    assert [t.name for t in live.data] == ["1-layer (training)"] and not live.layout.shapes
    done = figures.hit_rate_comparison({"1-layer": [{"epoch": 1, "hit_rate_at_100": 0.3}]}, 0.25)
    assert done.layout.shapes[0].y0 == 0.25


def test_comparison_configs_train_each_depth_as_tuned() -> None:
    from recexplore.app.tower_comparison import comparison_configs
    from recexplore.models.towers import PRESET_TRAINING, TOWER_PRESETS

    own = comparison_configs()
    assert [c.layers for c in own.values()] == list(TOWER_PRESETS.values())
    for preset, config in own.items():
        expected = {**TowerConfig().to_dict(), **PRESET_TRAINING.get(preset, {})}
        assert {k: v for k, v in config.to_dict().items() if k != "layers"} == {
            k: v for k, v in expected.items() if k != "layers"
        }
    assert own["3-layer"].learning_rate < own["1-layer"].learning_rate  # what the caption explains
    same = comparison_configs(same_epochs=3)
    assert {(c.epochs, c.learning_rate) for c in same.values()} == {(3, TowerConfig().learning_rate)}
