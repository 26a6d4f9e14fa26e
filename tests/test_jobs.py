"""JobQueue: one job at a time, FIFO positions, owner isolation, cancel, failures."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from recexplore.data import load_movielens, make_split
from recexplore.jobs import CANCELLED, DONE, FAILED, JobQueue, TrainingJob
from recexplore.models.towers import TowerConfig
from recexplore.training import ProgressHooks, TrainResult, train


class FakeResult:
    cancelled = False


def gated_runner(gate: threading.Event, running: list[int]):
    def run(job: TrainingJob, hooks: ProgressHooks) -> TrainResult:
        running.append(job.job_id)
        assert len(running) - len(done) == 1  # never two at once
        for epoch in range(job.total_epochs):
            gate.wait(5)
            hooks.on_batch(0, {})
            if hooks.should_stop():
                result = FakeResult()
                result.cancelled = True
                done.append(job.job_id)
                return result  # type: ignore[return-value]
            hooks.on_epoch(epoch, {"loss": 1.0 / (epoch + 1)})
        if job.params.get("fail"):
            done.append(job.job_id)
            raise RuntimeError("boom: bad things\nsecond line")
        done.append(job.job_id)
        return FakeResult()  # type: ignore[return-value]

    done: list[int] = []
    return run


def test_jobs_run_one_at_a_time_in_order_and_owners_are_isolated() -> None:
    gate, running = threading.Event(), []
    queue = JobQueue(gated_runner(gate, running))
    jobs = [queue.submit(f"session-{i}", f"job {i}", 2, {}) for i in range(5)]
    positions = [queue.position(j) for j in jobs]
    assert positions == sorted(positions) and positions[-1] == positions[0] + 4  # FIFO places
    gate.set()
    for job in jobs:
        assert queue.wait(job, 10)
        assert job.status == DONE and [h["loss"] for h in job.history] == [1.0, 0.5]
    assert running == [j.job_id for j in jobs]
    assert queue.jobs_for("session-3") == [jobs[3]]
    assert queue.get(jobs[3].job_id, "session-1") is None
    assert queue.get(jobs[3].job_id, "session-3") is jobs[3]


def test_cancel_queued_and_running_jobs() -> None:
    gate, running = threading.Event(), []
    queue = JobQueue(gated_runner(gate, running))
    first = queue.submit("a", "first", 3, {})
    second = queue.submit("a", "second", 3, {})
    queue.cancel(second)
    assert second.status == CANCELLED and queue.position(second) == -1
    queue.cancel(first)
    gate.set()
    assert queue.wait(first, 10)
    assert first.status == CANCELLED and first.result is None
    assert second.job_id not in running


def test_failure_is_one_line_and_the_worker_survives() -> None:
    gate, running = threading.Event(), []
    gate.set()
    queue = JobQueue(gated_runner(gate, running))
    bad = queue.submit("a", "bad", 1, {"fail": True})
    good = queue.submit("a", "good", 1, {})
    assert queue.wait(bad, 10) and queue.wait(good, 10)
    assert bad.status == FAILED and bad.error == "boom: bad things"
    assert good.status == DONE


def test_real_training_job_reports_progress(ml_folder: Path) -> None:
    data = load_movielens(ml_folder)
    split = make_split(data)

    def runner(job: TrainingJob, hooks: ProgressHooks) -> TrainResult:
        return train("towers", data, split, job.params["config"], hooks=hooks)

    queue = JobQueue(runner)
    config = TowerConfig(layers=(8,), embedding_dim=4, batch_size=128, epochs=2)
    job = queue.submit("me", "towers", config.epochs, {"config": config})
    assert queue.wait(job, 120)
    snap = job.snapshot()
    assert snap["status"] == DONE and snap["epoch"] == 2 and len(snap["history"]) == 2
    assert job.result is not None and "hit_rate_at_100" in job.result.metrics
    queue.forget(job)
    assert queue.jobs_for("me") == []


@pytest.mark.parametrize("owner", ["x", "y"])
def test_unknown_job_id(owner: str) -> None:
    queue = JobQueue(lambda job, hooks: FakeResult())  # type: ignore[arg-type,return-value]
    assert queue.get(999, owner) is None


def test_cancel_releases_the_worker_within_one_batch(ml_folder: Path) -> None:
    """Cancel a real training mid-epoch: at most one more batch runs, no result is kept (so nothing
    can be saved), and the next queued job starts."""
    data = load_movielens(ml_folder)
    split = make_split(data)
    batches = {"total": 0, "at_cancel": -1}

    def runner(job: TrainingJob, hooks: ProgressHooks) -> TrainResult:
        def counting(batch: int, logs: dict[str, float]) -> None:
            batches["total"] += 1
            hooks.on_batch(batch, logs)

        counted = ProgressHooks(on_epoch=hooks.on_epoch, on_batch=counting, should_stop=hooks.should_stop)
        return train("towers", data, split, job.params["config"], hooks=counted)

    queue = JobQueue(runner)
    long_job = queue.submit("me", "long", 50, {"config": TowerConfig(layers=(8,), embedding_dim=4, batch_size=16, epochs=50)})
    next_job = queue.submit("me", "next", 1, {"config": TowerConfig(layers=(8,), embedding_dim=4, batch_size=128, epochs=1)})
    while batches["total"] < 5:
        time.sleep(0.01)
    batches["at_cancel"] = batches["total"]
    queue.cancel(long_job)
    assert queue.wait(long_job, 60)
    ran_after = batches["total"] - batches["at_cancel"]
    assert long_job.status == CANCELLED and long_job.result is None
    assert ran_after <= 1, f"{ran_after} batches ran after the cancel"
    assert queue.wait(next_job, 120) and next_job.status == DONE and next_job.result is not None
