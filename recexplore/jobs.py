"""Background training jobs: one worker thread, a FIFO queue, per-owner visibility, cancel."""

from __future__ import annotations

import itertools
import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from recexplore.training import ProgressHooks, TrainResult

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
Runner = Callable[["TrainingJob", ProgressHooks], TrainResult]

_LOG = logging.getLogger("recexplore.jobs")


@dataclass
class TrainingJob:
    """One training request; the worker writes progress into it under its lock.

    Attributes:
        job_id: process-unique id.
        owner: the session that asked for it (only the owner sees its result).
        label: human-readable description ("DLRM", "towers 64,32", ...).
        total_epochs: epochs requested (progress bar denominator).
        params: whatever the runner needs (kind, config, split, ...).
    """

    job_id: int
    owner: str
    label: str
    total_epochs: int
    params: dict[str, Any]
    status: str = QUEUED
    epoch: int = 0
    batch: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    result: TrainResult | None = None
    error: str | None = None
    details: str | None = None
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy of the progress fields for rendering."""
        with self._lock:
            return {
                "job_id": self.job_id,
                "label": self.label,
                "status": self.status,
                "epoch": self.epoch,
                "batch": self.batch,
                "total_epochs": self.total_epochs,
                "history": [dict(h) for h in self.history],
                "error": self.error,
                "elapsed": (self.finished or time.time()) - self.started if self.started else 0.0,
            }

    @property
    def cancel_requested(self) -> bool:
        """True once cancel was asked for."""
        return self._cancel.is_set()

    def _update(self, **changes: Any) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(self, key, value)


class JobQueue:
    """Runs training jobs one at a time (Keras state is process-wide) in a worker thread."""

    def __init__(self, runner: Runner) -> None:
        self._runner = runner
        self._ids = itertools.count(1)
        self._queue: deque[TrainingJob] = deque()
        self._jobs: dict[int, TrainingJob] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._current: TrainingJob | None = None
        self._worker: threading.Thread | None = None

    def submit(self, owner: str, label: str, total_epochs: int, params: dict[str, Any]) -> TrainingJob:
        """Queue a job and make sure the worker runs."""
        job = TrainingJob(next(self._ids), owner, label, int(total_epochs), dict(params))
        with self._wake:
            self._jobs[job.job_id] = job
            self._queue.append(job)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="recexplore-training", daemon=True)
                self._worker.start()
            self._wake.notify()
        return job

    def position(self, job: TrainingJob) -> int:
        """0 while running, 1.. for the place in the queue, -1 when finished."""
        with self._lock:
            if job is self._current:
                return 0
            try:
                return list(self._queue).index(job) + 1
            except ValueError:
                return -1

    def cancel(self, job: TrainingJob) -> None:
        """Cancel a queued job at once, or a running one after its current batch."""
        job._cancel.set()
        with self._lock:
            if job in self._queue:
                self._queue.remove(job)
                job._update(status=CANCELLED, finished=time.time())

    def jobs_for(self, owner: str) -> list[TrainingJob]:
        """The owner's jobs, newest first."""
        with self._lock:
            return sorted((j for j in self._jobs.values() if j.owner == owner), key=lambda j: -j.job_id)

    def get(self, job_id: int, owner: str) -> TrainingJob | None:
        """A job by id, only for its owner."""
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def forget(self, job: TrainingJob) -> None:
        """Drop a finished job (and its model) from memory."""
        with self._lock:
            if job.status in FINISHED:
                self._jobs.pop(job.job_id, None)

    def queue_length(self) -> int:
        """Jobs waiting (not counting the running one)."""
        with self._lock:
            return len(self._queue)

    def wait(self, job: TrainingJob, timeout: float) -> bool:
        """Block until the job finishes or `timeout` seconds pass; True if finished."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if job.status in FINISHED:
                return True
            time.sleep(0.05)
        return job.status in FINISHED

    def _work(self) -> None:
        while True:
            with self._wake:
                while not self._queue:
                    if not self._wake.wait(timeout=60):
                        self._worker = None
                        return
                job = self._queue.popleft()
                self._current = job
            self._run(job)
            with self._lock:
                self._current = None

    def _run(self, job: TrainingJob) -> None:
        job._update(status=RUNNING, started=time.time())

        def on_epoch(epoch: int, logs: dict[str, float]) -> None:
            with job._lock:
                job.epoch = epoch + 1
                job.history.append(dict(logs))

        def on_batch(batch: int, logs: dict[str, float]) -> None:
            job.batch = batch + 1

        hooks = ProgressHooks(on_epoch=on_epoch, on_batch=on_batch, should_stop=lambda: job.cancel_requested)
        try:
            result = self._runner(job, hooks)
        except Exception as err:  # reported to the owner as one line; the worker keeps serving
            message = str(err).splitlines()[0] if str(err) else type(err).__name__
            details = traceback.format_exc()
            job._update(status=FAILED, error=message, finished=time.time(), details=details)
            _LOG.error("training job %s failed:\n%s", job.job_id, details)  # the operator's log, never the page
            return
        status = CANCELLED if job.cancel_requested or result.cancelled else DONE
        job._update(status=status, result=None if status == CANCELLED else result, finished=time.time())
