"""What keeps a server's memory flat over many trainings: finished jobs are bounded and released,
and a finished model no longer holds the graphs Keras traced for it. (RSS figures: bench/memory_bench.py.)"""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path

import keras
import numpy as np
import pytest

from recexplore import jobs
from recexplore.data import load_movielens, make_split
from recexplore.jobs import CANCELLED, DONE, FINISHED, JobQueue, TrainingJob
from recexplore.models.towers import TowerConfig
from recexplore.training import COMPILED_FUNCTIONS, ProgressHooks, TrainResult, release_compiled_functions, train
from tests.conftest import TINY_DLRM

TINY = TowerConfig(layers=(8,), embedding_dim=4, batch_size=128, epochs=1)


class FakeResult:
    """Stands in for a TrainResult (weak-referenceable, like the real one)."""

    cancelled = False


def _collected(ref: weakref.ref) -> bool:
    gc.collect()
    return ref() is None


@pytest.fixture
def no_release(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip the worker's gc/trim (about 0.5 s a job with TensorFlow loaded) in the bookkeeping tests."""
    monkeypatch.setattr(jobs, "release_memory", lambda: None)


def _fake_queue(**bounds: int) -> tuple[JobQueue, list[weakref.ref]]:
    refs: list[weakref.ref] = []

    def run(job: TrainingJob, hooks: ProgressHooks) -> TrainResult:
        result = FakeResult()
        refs.append(weakref.ref(result))
        return result  # type: ignore[return-value]

    return JobQueue(run, **bounds), refs


def _run_all(queue: JobQueue, submitted: list[TrainingJob]) -> None:
    for job in submitted:
        assert queue.wait(job, 10) and job.status == DONE


def test_finished_jobs_are_bounded_per_owner_newest_kept_and_released(no_release: None) -> None:
    queue, refs = _fake_queue(keep_per_owner=2, keep_total=10)
    mine = [queue.submit("me", f"job {i}", 1, {}) for i in range(5)]
    other = queue.submit("other", "theirs", 1, {})
    _run_all(queue, [*mine, other])
    assert queue.jobs_for("me") == [mine[4], mine[3]]  # the two newest, newest first
    assert queue.jobs_for("other") == [other]  # another session's job is not pushed out
    assert queue.get(mine[0].job_id, "me") is None
    del mine, other
    assert [_collected(r) for r in refs] == [True, True, True, False, False, False]


def test_finished_jobs_are_bounded_across_sessions(no_release: None) -> None:
    # A session that ends never forgets its jobs: the whole queue keeps only the newest few.
    queue, refs = _fake_queue(keep_per_owner=4, keep_total=3)
    submitted = [queue.submit(f"session-{i}", "job", 1, {}) for i in range(5)]
    _run_all(queue, submitted)
    assert [len(queue.jobs_for(f"session-{i}")) for i in range(5)] == [0, 0, 1, 1, 1]
    del submitted
    assert [_collected(r) for r in refs] == [True, True, False, False, False]


def test_queued_and_running_jobs_are_never_dropped(no_release: None) -> None:
    gate = threading.Event()

    def run(job: TrainingJob, hooks: ProgressHooks) -> TrainResult:
        gate.wait(10)
        return FakeResult()  # type: ignore[return-value]

    queue = JobQueue(run, keep_per_owner=1, keep_total=1)
    running = queue.submit("me", "running", 1, {})
    waiting = [queue.submit("me", f"waiting {i}", 1, {}) for i in range(3)]
    queue.cancel(waiting[0])  # finishes at once: may replace other finished jobs, never live ones
    assert waiting[0].status == CANCELLED
    assert {j.job_id for j in queue.jobs_for("me")} == {j.job_id for j in [running, *waiting]}
    gate.set()
    _run_all(queue, [running, *waiting[1:]])
    assert queue.jobs_for("me") == [waiting[2]]


class Frames:
    """Stands in for a job's heavy inputs (a split's frames)."""


def test_a_finished_job_keeps_only_its_plain_params(no_release: None) -> None:
    gate = threading.Event()

    def run(job: TrainingJob, hooks: ProgressHooks) -> TrainResult:
        gate.wait(10)
        return FakeResult()  # type: ignore[return-value]

    queue = JobQueue(run)
    inputs = [Frames(), Frames()]
    refs = [weakref.ref(frames) for frames in inputs]
    done = queue.submit("me", "done", 1, {"kind": "towers", "preset": "1-layer", "seed": 3, "split": inputs[0]})
    cancelled = queue.submit("me", "queued", 1, {"kind": "towers", "preset": "1-layer", "seed": 3, "split": inputs[1]})
    queue.cancel(cancelled)  # still queued behind `done`: finishes at once
    gate.set()
    _run_all(queue, [done])
    del inputs
    for job in (done, cancelled):
        assert job.params == {"kind": "towers", "preset": "1-layer", "seed": 3}  # what pages read stays
    assert [_collected(r) for r in refs] == [True, True]


def test_bounds_must_be_positive() -> None:
    with pytest.raises(ValueError):
        JobQueue(lambda job, hooks: FakeResult(), keep_per_owner=0)  # type: ignore[arg-type,return-value]


def test_the_worker_releases_memory_after_every_job(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(jobs, "release_memory", lambda: calls.append(1))
    queue, _ = _fake_queue()

    def boom(job: TrainingJob, hooks: ProgressHooks) -> TrainResult:
        raise RuntimeError("boom")

    _run_all(queue, [queue.submit("me", "a", 1, {}), queue.submit("me", "b", 1, {})])
    failing = JobQueue(boom)
    job = failing.submit("me", "c", 1, {})
    assert failing.wait(job, 10) and job.status == "failed"
    assert len(calls) == 3
    monkeypatch.undo()
    jobs.release_memory()  # the real one runs anywhere (no malloc_trim outside glibc)


def test_release_compiled_functions_drops_the_traced_graphs_and_keeps_the_model_usable() -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(loss="mse")
    x = np.ones((3, 4), np.float32)
    before = model.predict(x, verbose=0)
    traced = weakref.ref(model.predict_function)
    release_compiled_functions(model)
    assert model.predict_function is None
    # Assigning None alone leaves the tf.function tracked as a dependency of the model.
    assert "predict_function" not in dict(model._trackable_children())
    assert _collected(traced)
    np.testing.assert_allclose(model.predict(x, verbose=0), before)  # traced again on demand


@pytest.fixture(scope="module")
def data_split(ml_folder: Path):
    data = load_movielens(ml_folder)
    return data, make_split(data)


@pytest.mark.parametrize("kind", ["towers", "dlrm"])
def test_a_trained_model_holds_no_traced_functions(data_split, kind: str) -> None:
    data, split = data_split
    model = train(kind, data, split, TINY if kind == "towers" else TINY_DLRM).model
    assert all(getattr(model, name) is None for name in COMPILED_FUNCTIONS)
    # The DLRM's predict function (its test metrics) is a tf.function the model also tracks.
    assert not set(COMPILED_FUNCTIONS) & set(dict(model._trackable_children()))


def test_a_forgotten_jobs_model_is_garbage_collected(data_split) -> None:
    data, split = data_split

    def runner(job: TrainingJob, hooks: ProgressHooks) -> TrainResult:  # the app's runner, as app_state builds it
        return train("towers", job.params["data"], job.params["split"], job.params["config"], hooks=hooks)

    queue = JobQueue(runner)
    job = queue.submit("me", "towers", TINY.epochs, {"data": data, "split": split, "config": TINY})
    assert queue.wait(job, 120) and job.status in FINISHED and job.result is not None
    model = weakref.ref(job.result.model)
    queue.forget(job)
    assert queue.jobs_for("me") == []
    del job
    assert _collected(model), "something still holds a forgotten job's model"
