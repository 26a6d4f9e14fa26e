"""The Compare rankers page: every rating preset on one split as jobs, the report and the verdict;
what it says when the folds are missing or the workspace limit is too small."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recexplore.app.ranker_report import ALL_FOLDS, comparison_requests
from recexplore.evaluation.ranker_comparison import rankers
from recexplore.families import RATING, task_presets
from tests.test_app_train_pages import _wait_for_jobs

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "compare_rankers.py")
TIMEOUT = 120


def test_the_requests_are_every_rating_preset_on_every_split() -> None:
    requests = comparison_requests(["u1", "u2"], 7, epochs=2)
    assert [(r.split, r.preset) for r in requests[:4]] == [("u1", p) for _, p in rankers()]
    assert len(requests) == 8 and {r.config.epochs for r in requests} == {2} and {r.seed for r in requests} == {7}
    assert {r.kind for r in requests} == {"dlrm", "dcn"}
    assert requests[3].config.cross_layers == 0  # the DNN control
    assert comparison_requests(["u1"], 42)[0].config.epochs == 4  # the preset's own, without `epochs`
    with_lists = comparison_requests(["u1"], 7, losses=("mse", "list_mle"))
    assert [r.preset for r in with_lists] == ["dlrm", "dcn-cross", "dcn-lowrank", "dnn", "listmle"]
    assert with_lists[-1].kind == "listwise" and with_lists[-1].config.loss == "list_mle"
    assert {(f.name, p) for f, p in rankers(("mse",))} < {(f.name, p) for f, p in task_presets(RATING)}


def test_all_folds_without_the_fold_files_says_so(data_env: None) -> None:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    at.radio(key="rankers_scope").set_value(ALL_FOLDS).run()
    assert not at.exception
    assert any("5 folds need the official folds" in i.value for i in at.info)
    assert at.button(key="rankers_train").disabled


def test_a_limit_below_four_jobs_points_to_the_cli(data_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from recexplore.app import training_jobs

    manager = training_jobs.job_manager()
    monkeypatch.setattr(manager, "settings", dataclasses.replace(manager.settings, max_active_jobs=3))
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("trains 4 models" in i.value and "compare-rankers --folds 1" in i.value for i in at.info)
    assert at.button(key="rankers_train").disabled


def test_a_list_loss_adds_the_listwise_ranker_to_the_count(data_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from recexplore.app import training_jobs

    manager = training_jobs.job_manager()
    monkeypatch.setattr(manager, "settings", dataclasses.replace(manager.settings, max_active_jobs=4))
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert at.button(key="rankers_train").label == "Train all 4"
    at.multiselect(key="rankers_losses").set_value(["mse", "list_mle"]).run()
    assert not at.exception
    assert at.button(key="rankers_train").label == "Train all 5" and at.button(key="rankers_train").disabled
    assert any("trains 5 models" in i.value and "--losses mse,list_mle" in i.value for i in at.info)
    assert any("Does training on the order of a list beat predicting each star?" in m.value for m in at.markdown)


def test_one_split_trains_the_four_and_gives_an_honest_verdict(data_env: None, ray_engine: None) -> None:
    from recexplore.app import session_workspace, training_jobs

    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    at.checkbox(key="rankers_same").check().run()
    at.slider(key="rankers_epochs").set_value(1).run()
    at.button(key="rankers_train").click().run()
    assert not at.exception
    jobs = training_jobs.job_manager().jobs_for(at.session_state[session_workspace.WORKSPACE_KEY])
    assert sorted(j.request.preset for j in jobs) == ["dcn-cross", "dcn-lowrank", "dlrm", "dnn"]
    _wait_for_jobs(at, 300)
    assert not at.exception
    table = at.dataframe[-1].value  # the live report's (the saved rankers' section comes first)
    assert list(table["model"]) == [
        "dlrm",
        "dcn-cross",
        "dcn-lowrank",
        "dnn",
        "bias only (baseline)",
        "popularity (baseline)",
        "global mean (baseline)",
    ]
    assert set(table["loss"][:4]) == {"mse"} and table["list NDCG@10"].notna().sum() == 6  # models and two peers
    assert any("one split cannot tell a real difference from noise" in m.value for m in at.markdown)
