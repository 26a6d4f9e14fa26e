"""Sweeps: search spaces from the families' settings, the validation split that never holds a test row,
trials on Ray Tune through the pipeline, failures recorded, the record beside the models, and the CLI."""

from __future__ import annotations

import json
import math
import time
from dataclasses import fields, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from recexplore.config.search import Choice, IntRange, LogUniform, Uniform, parse_dimension, parse_value
from recexplore.data.loading import load_movielens
from recexplore.data.splits import LAST_OUT, TEMPORAL, make_split, validation_split
from recexplore.engine import sweeps
from recexplore.engine.sweep_progress import SweepProgress
from recexplore.engine.sweeps import SweepError, SweepRequest, run_sweep
from recexplore.families import ModelFamily, families, family
from tests.test_cli_bad_input import run_inprocess

TINY_TOWERS = {"epochs": 2, "embedding_dim": 4, "batch_size": 256, "layers": (8,)}


def _rows(frame: pd.DataFrame) -> set[tuple[int, int]]:
    return set(zip(frame["user_id"].tolist(), frame["movie_id"].tolist(), strict=True))


# ---------------------------------------------------------------- spaces


def test_every_family_space_is_valid_for_its_settings() -> None:
    for fam in families():
        assert fam.space, f"{fam.name} declares no space"
        names = {f.name for f in fields(fam.config)}
        assert set(fam.space) <= names
        for name, dimension in fam.space.items():  # every value a space can give makes a valid config
            for value in dimension.ends():
                fam.make_config(None, **{name: value})


def test_a_space_outside_its_setting_is_refused_when_the_family_is_declared() -> None:
    dlrm = family("dlrm")
    for space, words in [
        ({"learning_rate": LogUniform(1e-3, 20.0)}, "learning_rate must be"),
        ({"epochs": Uniform(1.0, 3.0)}, "not a real-number setting"),
        ({"dropout": IntRange(0, 1)}, "not a whole-number setting"),
        ({"no_such": Choice((1,))}, "not a setting"),
    ]:
        with pytest.raises(ValueError, match=words):
            ModelFamily(**{f.name: getattr(dlrm, f.name) for f in fields(dlrm)} | {"space": space})


def test_a_typed_space_is_read_by_the_settings_own_rule() -> None:
    towers = family("towers").config
    assert parse_dimension("learning_rate", "log:1e-3:1e-2", towers.rule("learning_rate")) == LogUniform(1e-3, 1e-2)
    assert parse_dimension("layers", "choice:32|64,32", towers.rule("layers")) == Choice(((32,), (64, 32)))
    assert parse_dimension("objective", "choice:softmax", towers.rule("objective")) == Choice(("softmax",))
    assert parse_dimension("epochs", "int:1:4", towers.rule("epochs")) == IntRange(1, 4)
    assert parse_value("layers", "64,32", towers.rule("layers")) == (64, 32)
    assert parse_value("distill_weight", "0.5", towers.rule("distill_weight")) == 0.5
    for name, text, words in [
        ("learning_rate", "log:0:1", "0 < low < high"),
        ("learning_rate", "cubic:1:2", "write log:"),
        ("learning_rate", "log:1e-3", "needs LOW:HIGH"),
        ("learning_rate", "uniform:1:abc", "--space learning_rate"),
        ("objective", "choice:softmax|hinge", "objective must be"),
        ("layers", "choice:32|0", "each width must be from 1"),
        ("embedding_dim", "log:4:64", "not a real-number setting"),
    ]:
        with pytest.raises(ValueError, match=words) as err:
            parse_dimension(name, text, towers.rule(name))
        assert "\n" not in str(err.value)


# ---------------------------------------------------------------- the validation split


def test_the_validation_split_holds_no_test_row(ml_folder: Path) -> None:
    data = load_movielens(ml_folder)
    for name in ("random", LAST_OUT, TEMPORAL):
        split = make_split(data, name, seed=3)
        val = validation_split(split, seed=3)
        assert val.name == split.name and len(val.test) > 0
        assert _rows(val.train) | _rows(val.test) <= _rows(split.train)
        assert not (_rows(val.train) | _rows(val.test)) & _rows(split.test)
        assert not _rows(val.train) & _rows(val.test)
    random_split = make_split(data, "random", seed=3)
    assert _rows(validation_split(random_split, 3).train) | _rows(validation_split(random_split, 3).test) == _rows(
        random_split.train
    )


def test_a_trial_trains_on_the_validation_split_and_a_failure_is_reported(
    ml_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`_trial` in this process, Tune's report captured: what it trains on, and a failure's one line."""
    from ray import tune

    from recexplore.training import pipeline

    data = load_movielens(ml_folder)
    request = SweepRequest("towers", fixed=TINY_TOWERS, trials=1, seed=5)
    reports: list[dict[str, Any]] = []
    seen: list[Any] = []
    monkeypatch.setattr(tune, "report", lambda metrics, **_: reports.append(dict(metrics)))

    def fake_run(kind: str, config: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["split"])
        kwargs["hooks"].on_epoch(0, {"hit_rate_at_10": 0.25, "loss": 1.0})
        raise RuntimeError("the disk is full\nand a second line")

    monkeypatch.setattr(pipeline, "run", fake_run)
    split = make_split(data, "random", seed=5)
    sweeps._trial({"learning_rate": 0.01}, request, data, validation_split(split, 5))
    assert _rows(seen[0].test) <= _rows(split.train) and not _rows(seen[0].test) & _rows(split.test)
    assert reports[0] == {"hit_rate_at_10": 0.25, "epoch": 1}
    assert reports[-1]["error"] == "the disk is full" and reports[-1]["hit_rate_at_10"] == -math.inf


def test_failed_trials_are_rows_and_the_best_is_among_the_finished() -> None:
    def result(config: dict, metrics: dict, curve: list[float], error: Exception | None = None) -> Any:
        return SimpleNamespace(
            config=config, metrics=metrics, error=error, metrics_dataframe=pd.DataFrame({"hit_rate_at_10": curve})
        )

    rows = sweeps._trial_rows(
        [
            result({"learning_rate": 0.01}, {"hit_rate_at_10": 0.3, "epoch": 2}, [0.2, 0.3]),
            result(
                {"learning_rate": 0.02}, {"hit_rate_at_10": -math.inf, "epoch": 0, "error": "out of memory"}, [-np.inf]
            ),
            result({"learning_rate": 0.03}, {}, [], error=RuntimeError("worker died\ntraceback")),
            result({"learning_rate": 0.04}, {"hit_rate_at_10": 0.35, "epoch": 1}, [0.35]),
        ],
        "hit_rate_at_10",
    )
    assert [r["status"] for r in rows] == ["done", "failed", "failed", "done"]
    assert rows[1]["error"] == "out of memory" and rows[2]["error"] == "worker died" and rows[1]["curve"] == []
    assert sweeps._best(rows, "max")["settings"] == {"learning_rate": 0.04}
    assert sweeps._best(rows, "min")["settings"] == {"learning_rate": 0.01}
    assert sweeps._best(rows[1:3], "max") is None


def test_a_request_refuses_what_cannot_be_swept() -> None:
    with pytest.raises(SweepError, match="trials must be"):
        SweepRequest("towers", trials=0)
    with pytest.raises(SweepError, match="time budget"):
        SweepRequest("towers", time_budget_s=-1.0)
    with pytest.raises(SweepError, match="search must be one of tpe, random"):
        SweepRequest("towers", search="grid")
    every = {name: 1 for name in family("dlrm").space}
    with pytest.raises(SweepError, match="nothing to sweep"):
        SweepRequest("dlrm", fixed=every).searched()


# ---------------------------------------------------------------- a sweep on the engine


def test_a_small_sweep_runs_on_the_engine_and_keeps_its_record(
    ml_folder: Path, tmp_path: Path, ray_engine: None
) -> None:
    data = load_movielens(ml_folder)
    request = SweepRequest(
        "towers",
        preset="1-layer",
        fixed={k: v for k, v in TINY_TOWERS.items() if k != "layers"},
        space={"learning_rate": LogUniform(3e-3, 3e-2), "layers": Choice(((8,), (16, 8)))},
        trials=3,
        seed=7,
    )
    request = replace(request, preset_trial=True)
    progress = SweepProgress("hit_rate_at_10", request.preset_point())
    sweep = run_sweep(request, data, tmp_path / "models", progress=progress)
    record = json.loads(sweep.record.read_text())
    assert record["metric"] == "hit_rate_at_10" and record["mode"] == "max" and len(record["trials"]) == 3
    assert record["data_fingerprint"] == data.fingerprint and record["max_epochs"] == 2
    presets = [t for t in record["trials"] if t["preset"]]  # the first trial ran the preset's own values
    assert [t["settings"] for t in presets] == [{"learning_rate": 0.009, "layers": [32]}]
    for trial in record["trials"]:
        assert trial["status"] == "done" and 1 <= trial["epochs"] <= 2
        assert trial["preset"] or 3e-3 <= trial["settings"]["learning_rate"] <= 3e-2
        assert trial["curve"] and trial["validation"] == trial["curve"][-1]
    live = progress.rows()  # the live table, fed by Tune's callbacks, ends as the record does
    by_settings = {json.dumps(t["settings"], sort_keys=True): t for t in record["trials"]}
    assert len(live) == 3 and [t["preset"] for t in live].count(True) == 1
    for row in live:
        saved = by_settings[json.dumps(row["settings"], sort_keys=True)]
        assert (row["status"], row["curve"], row["preset"]) == ("done", saved["curve"], saved["preset"])
    assert record["best"]["validation"] == max(t["validation"] for t in record["trials"])
    for tested in ("best", "preset"):  # tested on the test part, with the task's peers beside them
        assert {"hit_rate_at_10", "popularity_hit_rate_at_10", "ease_hit_rate_at_10"} <= set(record["tested"][tested])
    assert record["space"] == {"learning_rate": "log:0.003:0.03", "layers": "choice:8|16,8"}
    assert record["search"] == "tpe"  # the default: Optuna's TPE, started from the preset's trial
    assert sweep.record.parent == tmp_path / "models" / sweeps.SWEEPS_FOLDER


# ---------------------------------------------------------------- the command line


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["tune", "towers", "--space", "nope=log:1:2"], "towers has no such setting"),
        (["tune", "towers", "--space", "learning_rate=int:1:3"], "not a whole-number setting"),
        (["tune", "towers", "--space", "learning_rate"], "--space takes NAME=VALUE"),
        (["tune", "towers", "--set", "epochs=many"], "--set epochs"),
        (["tune", "towers", "--preset", "9-layer"], "preset must be one of"),
        (["tune", "sequential", "--split", "random"], "time-ordered split"),
        (["tune", "towers", "--trials", "0"], "--trials"),
        (["tune", "towers", "--search", "grid"], "--search"),
    ],
)
def test_bad_tune_requests_get_one_line(argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    run_inprocess(argv, capsys, 2, words)


# ---------------------------------------------------------------- the live table, records, sweeps as jobs


def test_the_live_table_follows_each_trial_and_marks_the_preset_once() -> None:
    progress = SweepProgress("hit_rate_at_10", {"learning_rate": 0.01, "layers": (32,)})
    progress.start("a", {"learning_rate": 0.01, "layers": [32]})
    progress.result("a", {"learning_rate": 0.01, "layers": [32]}, {"hit_rate_at_10": 0.2, "epoch": 1})
    progress.start("b", {"learning_rate": 0.01, "layers": [32]})  # the same draw again: not the preset's trial
    progress.result("b", {"learning_rate": 0.01, "layers": [32]}, {"hit_rate_at_10": -math.inf, "error": "no room"})
    progress.result("c", {"learning_rate": 0.02}, {"hit_rate_at_10": 0.3, "epoch": 1})  # its start came late
    rows = progress.rows()
    assert [(r["status"], r["preset"], r["epochs"], r["curve"]) for r in rows] == [
        ("running", True, 1, [0.2]),
        ("failed", False, 0, []),
        ("running", False, 1, [0.3]),
    ]
    rows[0]["curve"].append(9.0)  # a copy: the page cannot change the feed
    progress.result("a", {}, {"hit_rate_at_10": 0.25, "epoch": 2})
    progress.end("a", {})
    progress.end("c", {}, "the worker died")
    rows = progress.rows()
    assert rows[0]["curve"] == [0.2, 0.25] and rows[0]["status"] == "done" and rows[0]["validation"] == 0.25
    assert (rows[1]["status"], rows[1]["error"]) == ("failed", "no room")  # its failure stays
    assert (rows[2]["status"], rows[2]["error"], rows[2]["validation"]) == ("failed", "the worker died", None)


def test_tpe_starts_from_a_preset_its_choices_can_express() -> None:
    """Optuna can enqueue only a choice it has: the preset's value joins a narrowed choice, once."""
    space = {
        "layers": Choice(((8,), (16, 8))),
        "embedding_dim": Choice((32, 48)),
        "learning_rate": LogUniform(0.1, 1.0),
    }
    held = sweeps._holding(space, {"layers": [32], "embedding_dim": 48, "learning_rate": 0.009})
    assert held["layers"] == Choice(((32,), (8,), (16, 8)))
    assert held["embedding_dim"] == space["embedding_dim"] and held["learning_rate"] == space["learning_rate"]
    assert sweeps._holding(space, None) == space


def test_layer_lists_travel_through_tune_as_text() -> None:
    space = sweeps.tune_space({"layers": Choice(((8,), (16, 8))), "temperature": Choice((0.1, 0.2))})
    assert space["layers"].categories == ["8", "16,8"] and space["temperature"].categories == [0.1, 0.2]
    assert sweeps.decoded("towers", {"layers": "16,8", "temperature": 0.1, "objective": "softmax"}) == {
        "layers": [16, 8],
        "temperature": 0.1,
        "objective": "softmax",
    }
    assert sweeps.decoded("dlrm", {"top_layers": "64,32"}) == {"top_layers": [64, 32]}


def test_a_records_config_and_the_records_listed_back(tmp_path: Path) -> None:
    from recexplore.engine.sweep_records import list_records, write_record

    record = {
        "kind": "towers",
        "preset": "2-layer",
        "fixed": {"epochs": 1, "layers": [16, 8]},
        "metric": "hit_rate_at_10",
        "trials": [],
        "best": {"settings": {"learning_rate": 0.004, "embedding_dim": 32}},
        "data_fingerprint": "one",
    }
    config = sweeps.record_config(record)
    assert (config.learning_rate, config.embedding_dim, config.layers, config.epochs) == (0.004, 32, (16, 8), 1)
    with pytest.raises(ValueError, match="no finished trial"):
        sweeps.record_config({**record, "best": None})
    first = write_record(record, "towers", tmp_path)
    second = write_record({**record, "data_fingerprint": "two"}, "towers", tmp_path)
    third = write_record(record, "towers", tmp_path)
    (tmp_path / sweeps.SWEEPS_FOLDER / "towers-99999999T999999999999Z.json").write_text("{not json")  # skipped
    assert [r["record"] for r in list_records([tmp_path])] == [str(third), str(second), str(first)]
    assert [r["record"] for r in list_records([tmp_path], "one")] == [str(third), str(first)]
    assert list_records([tmp_path / "nowhere"]) == []


def test_tunes_tables_stay_out_of_stdout_while_sweeps_overlap() -> None:
    import sys

    real = sys.stdout
    first, second = sweeps._quiet(), sweeps._quiet()
    first.__enter__()
    second.__enter__()
    assert sys.stdout is not real
    first.__exit__(None, None, None)  # the first sweep ends while the second still runs
    assert sys.stdout is not real
    second.__exit__(None, None, None)
    assert sys.stdout is real


def test_a_sweep_is_a_job_of_its_workspace(ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted against the limit while it runs (its trials at once), refused past it, queued behind the
    sweep driving Tune, cancelled while queued, one line when it fails."""
    import threading

    from recexplore.engine import sweep_jobs
    from recexplore.engine.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobLimitError, JobManager
    from recexplore.engine.settings import EngineSettings

    data = load_movielens(ml_folder)
    jobs = JobManager(EngineSettings(max_active_jobs=4, job_time_budget_s=600))
    manager = sweep_jobs.SweepManager(jobs)
    release = threading.Event()
    seen: list[SweepRequest] = []

    def fake_sweep(request: SweepRequest, data: Any, models_dir: Path, **kwargs: Any) -> Any:
        seen.append(request)
        kwargs["progress"].start("t1", {"learning_rate": 0.01})
        release.wait(30)
        if request.trials == 3:
            raise RuntimeError("the trials all failed\nand a traceback")
        return SimpleNamespace(as_dict=lambda: {"trials": [], "metric": "hit_rate_at_10"})

    monkeypatch.setattr(sweep_jobs, "run_sweep", fake_sweep)
    request = SweepRequest("towers", fixed=TINY_TOWERS, trials=4, concurrent=2, time_budget_s=9999.0)
    with pytest.raises(JobLimitError, match="may have 4 jobs"):
        manager.submit("ws", replace(request, trials=5, concurrent=5), data, tmp_path)
    sweep = manager.submit("ws", request, data, tmp_path)
    deadline = time.time() + 30
    while sweep.status != RUNNING and time.time() < deadline:
        time.sleep(0.01)
    assert sweep.status == RUNNING and manager.active_slots("ws") == 2 and manager.active_slots("other") == 0
    assert seen[0].time_budget_s == 600  # never past the operator's per-job budget
    assert sweep.snapshot()["trials"][0]["status"] == "running"
    jobs.check_limits("ws", 2)
    with pytest.raises(JobLimitError, match="has 2"):
        jobs.check_limits("ws", 3)  # a training job sees the sweep's two trials at once
    failing = manager.submit("ws", replace(request, trials=3, concurrent=1), data, tmp_path)
    dropped = manager.submit("ws", replace(request, concurrent=1), data, tmp_path)
    time.sleep(0.2)  # their threads wait for the driver: queued, and counted
    assert (failing.status, dropped.status, manager.active_slots("ws")) == (QUEUED, QUEUED, 4)
    manager.cancel(dropped)
    assert manager.wait(dropped, 30) and dropped.status == CANCELLED and len(seen) == 1
    release.set()
    assert manager.wait(sweep, 30) and manager.wait(failing, 30)
    assert (sweep.status, sweep.record) == (DONE, {"trials": [], "metric": "hit_rate_at_10"})
    assert (failing.status, failing.error) == (FAILED, "the trials all failed")
    assert manager.active_slots("ws") == 0 and manager.get(sweep.job_id, "other") is None


def test_a_cancelled_sweep_ends_without_a_record(ml_folder: Path, tmp_path: Path, ray_engine: None) -> None:
    import threading

    data = load_movielens(ml_folder)
    cancel = threading.Event()
    cancel.set()
    request = SweepRequest("towers", fixed={**TINY_TOWERS, "epochs": 1}, trials=2, concurrent=1)
    with pytest.raises(sweeps.SweepCancelled):
        run_sweep(request, data, tmp_path, test_best=False, cancel=cancel)
    assert not (tmp_path / sweeps.SWEEPS_FOLDER).exists()
