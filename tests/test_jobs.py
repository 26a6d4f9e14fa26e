"""JobManager on a real local Ray (2 CPUs): jobs overlap, cancel stops within a batch, a killed
worker fails one job only, workspaces are isolated, limits refuse with one line."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from recexplore.data.loading import load_movielens
from recexplore.engine.jobs import (
    CANCELLED,
    DONE,
    FAILED,
    FINISHED,
    QUEUED,
    WORKER_DIED,
    Job,
    JobLimitError,
    JobManager,
)
from recexplore.engine.settings import EngineSettings
from recexplore.models.towers import TowerConfig
from recexplore.store import registry, workspaces
from recexplore.training.request import TrainRequest
from tests.conftest import tiny_towers_config, warm_spares

pytestmark = pytest.mark.usefixtures("ray_engine")
WS, OTHER = "workspace-a" * 3, "workspace-b" * 3


def long_request(epochs: int = 40) -> TrainRequest:
    """A tiny model with many small batches: long enough to watch, cancel or kill."""
    return TrainRequest("towers", TowerConfig(layers=(8,), embedding_dim=4, batch_size=16, epochs=epochs), label="long")


def quick_request() -> TrainRequest:
    return TrainRequest("towers", tiny_towers_config(), label="quick")


@pytest.fixture
def manager() -> Any:
    jobs = JobManager(EngineSettings(local_cpus=2, max_active_jobs=3))
    yield jobs
    jobs.shutdown()


@pytest.fixture(scope="module")
def data(ml_folder: Path) -> Any:
    return load_movielens(ml_folder)


def wait_until(check: Any, timeout: float = 120.0) -> None:
    deadline = time.time() + timeout
    while not check():
        if time.time() > deadline:
            pytest.fail(f"not reached within {timeout:.0f} s")
        time.sleep(0.05)


def test_two_jobs_overlap_on_two_cpus_and_each_sees_only_its_workspace(manager: JobManager, data: Any) -> None:
    warm_spares(manager, 2)
    first = manager.submit(WS, long_request(30), data)
    second = manager.submit(OTHER, long_request(30), data)
    assert manager.wait(first, 300) and manager.wait(second, 300)
    assert first.status == DONE and second.status == DONE
    (a0, a1), (b0, b1) = first.ran, second.ran
    assert a0 < b1 and b0 < a1, f"no overlap: {first.ran} {second.ran}"  # both trained at the same time
    assert manager.jobs_for(WS) == [first] and manager.jobs_for(OTHER) == [second]
    assert manager.get(first.job_id, OTHER) is None and manager.get(first.job_id, WS) is first
    assert len(first.job_id) == 16 and first.job_id != second.job_id  # unguessable ids
    assert len(first.history) == 30 and first.result is not None and "hit_rate_at_100" in first.result.metrics


def test_cancel_stops_a_running_job_within_one_batch(manager: JobManager, data: Any) -> None:
    job = manager.submit(WS, long_request(), data)
    wait_until(lambda: job.batch >= 3 or job.epoch >= 1)
    clicked = time.perf_counter()
    manager.cancel(job)
    assert manager.wait(job, 60)
    latency = time.perf_counter() - clicked
    run, at_cancel = job.batches
    assert job.status == CANCELLED and job.result is None and at_cancel is not None
    assert run - at_cancel <= 1, f"{run - at_cancel} batches ran after the cancel reached the worker"
    with pytest.raises(ValueError, match="no trained model"):
        manager.model_bytes(job)
    print(f"cancel: {run - at_cancel} batch after it arrived, finished {latency:.2f} s after the click")


def test_cancel_of_a_waiting_job_is_immediate(manager: JobManager, data: Any) -> None:
    running = [manager.submit(WS, long_request(), data) for _ in range(2)]
    waiting = manager.submit(WS, quick_request(), data)
    assert waiting.status == QUEUED and manager.position(waiting) >= 1
    manager.cancel(waiting)
    assert waiting.status == CANCELLED and manager.position(waiting) == -1
    for job in running:
        manager.cancel(job)
        assert manager.wait(job, 60) and job.status == CANCELLED


def test_a_killed_worker_fails_one_job_and_the_next_job_runs(manager: JobManager, data: Any) -> None:
    victim = manager.submit(WS, long_request(), data)
    wait_until(lambda: victim.epoch >= 1)
    pid = manager.worker_progress(victim)["pid"]
    assert pid != os.getpid()  # training is in a worker process, not here
    os.kill(pid, signal.SIGKILL)
    assert manager.wait(victim, 60)
    assert victim.status == FAILED and victim.error == WORKER_DIED and "\n" not in victim.error
    after = manager.submit(WS, quick_request(), data)
    assert manager.wait(after, 180) and after.status == DONE


def test_a_job_past_its_time_budget_is_stopped(data: Any) -> None:
    jobs = JobManager(EngineSettings(local_cpus=2, job_time_budget_s=2))
    try:
        job = jobs.submit(WS, long_request(200), data)
        assert jobs.wait(job, 120)
        assert job.status == FAILED and "time budget of 2 s" in (job.error or "")
    finally:
        jobs.shutdown()


def test_a_failing_training_is_one_line(manager: JobManager) -> None:
    import ray

    @ray.remote
    def boom() -> None:
        raise ValueError("embedding_dim is wrong\nsecond line")

    job = Job("f" * 16, WS, quick_request())
    progress = {"status": "running", "epoch": 0, "batch": 0, "history": [], "started": time.time()}
    job._actor = ray.remote(num_cpus=0)(type("Idle", (), {"progress": lambda self: progress})).remote()
    job._summary_ref = boom.remote()
    manager._jobs[job.job_id] = job
    assert manager.wait(job, 60)
    assert job.status == FAILED and job.error == "embedding_dim is wrong"


def test_limits_refuse_with_one_line_and_queue_nothing(data: Any) -> None:
    jobs = JobManager(EngineSettings(local_cpus=2, max_active_jobs=2))
    try:
        first = jobs.submit(WS, long_request(), data)
        with pytest.raises(JobLimitError, match="may have 2 jobs queued or running at once and has 1") as err:
            jobs.submit_many(WS, [quick_request(), quick_request()], data)
        assert "\n" not in str(err.value)
        assert jobs.jobs_for(WS) == [first]  # all or nothing
        other = jobs.submit(OTHER, quick_request(), data)  # another workspace has its own allowance
        jobs.cancel(first)
        assert jobs.wait(first, 60) and jobs.wait(other, 180)
        assert jobs.submit(WS, quick_request(), data).status in (QUEUED, "running", DONE)  # allowance back
    finally:
        jobs.shutdown()


def test_a_finished_model_saves_into_the_workspace_and_loads(
    manager: JobManager, data: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = workspaces.new_token()
    job = manager.submit(token, quick_request(), data)
    assert manager.wait(job, 180) and job.status == DONE
    entry = workspaces.save(token, manager.model_bytes(job), job.result.meta, "mine", False, 10)
    assert entry.path.parent == workspaces.workspace_dir(token)
    loaded = registry.load("mine", workspaces.workspace_dir(token))
    assert loaded.kind == "towers" and loaded.meta["metrics"] == job.result.metrics
    assert [e.name for e in workspaces.visible_entries(token)] == ["mine"]
    assert workspaces.visible_entries(workspaces.new_token()) == []  # another workspace sees nothing of it
    manager.forget(job)
    assert manager.jobs_for(token) == [] and job._model_ref is None


def test_finished_jobs_are_bounded_per_workspace_newest_kept() -> None:
    manager = JobManager(EngineSettings(keep_finished_jobs=2))
    jobs = [Job(f"{i:016x}", WS, quick_request(), status=DONE, finished=float(i)) for i in range(4)]
    live = Job("e" * 16, WS, quick_request(), status="running")
    theirs = Job("d" * 16, OTHER, quick_request(), status=DONE, finished=0.0)
    for job in [*jobs, live, theirs]:
        manager._jobs[job.job_id] = job
    manager._prune(WS)
    assert set(manager._jobs) == {jobs[3].job_id, jobs[2].job_id, live.job_id, theirs.job_id}
    assert all(job.status in FINISHED for job in jobs)
