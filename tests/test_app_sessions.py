"""Five browser sessions train at once: their jobs queue and run one at a time, and each session
sees only its own job, progress, result and save form (AppTest, synthetic data)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from recexplore import app_state, registry
from recexplore.jobs import DONE, FINISHED

TRAIN_PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "train.py")
SESSIONS = 5



def _submit(embedding_dim: int) -> AppTest:
    """A new session on the Train page that asks for a tiny two-tower job."""
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=120).run()
    at.radio(key="train_kind").set_value("Two-tower (retrieval)").run()
    at.number_input(key="train_embedding_dim_towers").set_value(embedding_dim)
    at.slider(key="train_epochs_towers").set_value(1)
    at.number_input(key="train_batch_size_towers").set_value(256).run()
    at.button(key="train_submit").click().run()
    assert not at.exception and not at.error
    return at


def _job_ids_shown(at: AppTest) -> set[int]:
    return {int(m) for md in at.markdown for m in re.findall(r"\*\*Job (\d+)\*\*", md.value)}


def test_five_sessions_queue_and_see_only_their_own_jobs(data_env: None) -> None:
    sessions = [_submit(embedding_dim=4 + i) for i in range(SESSIONS)]
    owners = [at.session_state["recexplore_session_id"] for at in sessions]
    assert len(set(owners)) == SESSIONS
    queue = app_state.job_queue()
    jobs = [queue.jobs_for(owner) for owner in owners]
    assert [len(j) for j in jobs] == [1] * SESSIONS
    jobs = [j[0] for j in jobs]
    waiting = [queue.position(job) for job in jobs]
    assert sum(1 for p in waiting if p == 0) <= 1  # at most one running at any time

    deadline = time.time() + 300
    while time.time() < deadline and not all(job.status in FINISHED for job in jobs):
        time.sleep(0.2)
    assert [job.status for job in jobs] == [DONE] * SESSIONS
    spans = sorted((job.started, job.finished) for job in jobs)
    assert all(end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False))  # one at a time
    assert [job.job_id for job in sorted(jobs, key=lambda j: j.started)] == sorted(job.job_id for job in jobs)  # FIFO

    for at, job, owner in zip(sessions, jobs, owners, strict=True):
        at.run()
        assert not at.exception
        assert _job_ids_shown(at) == {job.job_id}  # its own job, nobody else's
        assert at.text_input(key="train_save_name").value == f"my-towers-{job.job_id}"
        assert f"dim {job.result.config.embedding_dim}," in " ".join(m.value for m in at.markdown)
        others = [j for j in jobs if j is not job]
        assert all(queue.get(other.job_id, owner) is None for other in others)

    # one session saves; the others' models stay unsaved and invisible to everyone else
    first = sessions[0]
    first.text_input(key="train_save_name").set_value("shared-one")
    first.button(key="train_save").click().run()
    assert any("Saved as 'shared-one'" in s.value for s in first.success)
    assert [e.name for e in registry.list_entries()] == ["shared-one"]
    saved = registry.list_entries()[0].meta["config"]["embedding_dim"]
    assert saved == jobs[0].result.config.embedding_dim
    for at in sessions[1:]:
        at.run()
        assert not at.success and _job_ids_shown(at) == {jobs[sessions.index(at)].job_id}
    for job in jobs:
        queue.forget(job)
