"""The teacher's view: closed without the server's operator token, every workspace's jobs with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recexplore.app import class_queue
from recexplore.data.loading import load_movielens
from recexplore.engine.jobs import FINISHED
from recexplore.engine.settings import MIN_OPERATOR_TOKEN, OPERATOR_TOKEN_ENV
from recexplore.models.towers import TowerConfig
from recexplore.store.workspaces import label
from recexplore.training.request import TrainRequest

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "class_queue.py")
TOKEN = "teacher-secret-0123456789"


def test_token_rules() -> None:
    assert "off" in class_queue.operator_problem({})
    assert str(MIN_OPERATOR_TOKEN) in class_queue.operator_problem({OPERATOR_TOKEN_ENV: "short"})
    assert class_queue.operator_problem({OPERATOR_TOKEN_ENV: TOKEN}) is None
    assert class_queue.token_matches(TOKEN, {OPERATOR_TOKEN_ENV: TOKEN})
    for wrong in ("", TOKEN[:-1], TOKEN + "x", "é" * 20):
        assert not class_queue.token_matches(wrong, {OPERATOR_TOKEN_ENV: TOKEN})
    assert not class_queue.token_matches("", {})  # no token on the server: nothing opens it
    assert not class_queue.token_matches("short", {OPERATOR_TOKEN_ENV: "short"})


def test_the_view_is_off_without_a_server_token(data_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(OPERATOR_TOKEN_ENV, raising=False)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert any(OPERATOR_TOKEN_ENV in i.value for i in at.info) and not at.text_input and not at.dataframe


def test_a_wrong_token_is_refused(data_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OPERATOR_TOKEN_ENV, TOKEN)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.text_input(key="class_queue_token").set_value("not-the-token-at-all")
    at.button[0].click().run()
    assert not at.exception
    assert any("not the operator token" in e.value for e in at.error)
    assert not at.dataframe and not at.metric


def test_the_teacher_sees_every_workspace_and_cancels_a_job(
    data_env: None, ml_folder: Path, ray_engine: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recexplore.app import training_jobs

    monkeypatch.setenv(OPERATOR_TOKEN_ENV, TOKEN)
    data = load_movielens(ml_folder)
    manager = training_jobs.job_manager()
    slow = TowerConfig(layers=(8,), embedding_dim=4, batch_size=64, epochs=50)
    jobs = [
        manager.submit(ws * 5, TrainRequest("towers", slow, seed=1, label=f"job-of-{ws}"), data)
        for ws in ("alpha", "bravo")
    ]
    try:
        at = AppTest.from_file(PAGE, default_timeout=60).run()
        at.text_input(key="class_queue_token").set_value(TOKEN)
        at.button[0].click().run()
        assert not at.exception
        table = at.dataframe[0].value
        assert {"job-of-alpha", "job-of-bravo"} <= set(table["what"])
        assert {label("alpha" * 5), label("bravo" * 5)} <= set(table["workspace"])  # a digest's start
        shown = " ".join(str(v) for v in table.to_numpy().ravel()) + " ".join(m.value for m in at.markdown)
        assert "alphaa" not in shown and "bravob" not in shown  # not even a prefix of a token
        labels = {m.label for m in at.metric}
        assert {"Running", "Queued"} <= labels
        at.button(key=f"class_queue_cancel_{jobs[0].job_id}").click().run()
        assert not at.exception
        assert manager.wait(jobs[0], 120) and jobs[0].status == "cancelled"
    finally:
        for job in jobs:
            manager.cancel(job)
            manager.wait(job, 120)
        assert all(j.status in FINISHED for j in jobs)
