"""Background training jobs: one worker thread, a FIFO queue, per-owner visibility, cancel."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import itertools
import logging
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from recexplore.training import ProgressHooks, TrainResult

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
Runner = Callable[["TrainingJob", ProgressHooks], TrainResult]

# Finished jobs (each holding its TrainResult and model) kept in memory. No page forgets a job
# and a session that ends never does, so the queue itself bounds them: per session the newest
# three (the Compare page trains three at once), and eight across the whole server process.
# Each kept model costs about 10-15 MB of resident memory (bench/memory_bench.py).
KEEP_FINISHED_PER_OWNER = 3
KEEP_FINISHED_TOTAL = 8

_LOG = logging.getLogger("recexplore.jobs")


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where the C library has none (musl, macOS, Windows)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or None).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


def release_memory() -> None:
    """Collect garbage, then hand the C heap's free pages back to the operating system.

    A training allocates and frees hundreds of MB of temporaries (batches, activations, the
    users x movies score matrix); glibc keeps freed memory in its per-thread arenas, so without
    a trim the server's resident memory ratchets up with every job even though nothing is
    live. Both steps are safe while other threads run Keras models: nothing global is reset
    (unlike `keras.backend.clear_session`, which replaces every thread's Keras state and clears
    TensorFlow's process-wide kernel cache).
    """
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@dataclass
class TrainingJob:
    """One training request; the worker writes progress into it under its lock.

    Attributes:
        job_id: process-unique id.
        owner: the session that asked for it (only the owner sees its result).
        label: human-readable description ("DLRM", "towers 64,32", ...).
        total_epochs: epochs requested (progress bar denominator).
        params: whatever the runner needs (kind, config, split, ...); once the job finished only
            the plain values (str, int, float, bool, None) stay, so a kept job does not hold
            its inputs (a split is a few MB of frames).
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

    def _release_inputs(self) -> None:
        """Keep only the plain params: the runner is done with the rest."""
        with self._lock:
            self.params = {k: v for k, v in self.params.items() if v is None or isinstance(v, (str, int, float, bool))}


class JobQueue:
    """Runs training jobs one at a time (Keras state is process-wide) in a worker thread.

    Finished jobs stay visible to their owner until forgotten, within bounds: when a job
    finishes, older finished jobs beyond the newest `keep_per_owner` of its owner, or beyond the
    newest `keep_total` of the whole queue, are dropped (a page still holding one keeps it until
    that page run ends). After every job the worker releases memory (`release_memory`).
    """

    def __init__(self, runner: Runner, keep_per_owner: int = KEEP_FINISHED_PER_OWNER,
                 keep_total: int = KEEP_FINISHED_TOTAL) -> None:  # fmt: skip
        if keep_per_owner < 1 or keep_total < 1:
            raise ValueError("keep_per_owner and keep_total must be at least 1")
        self._runner = runner
        self._keep_per_owner = int(keep_per_owner)
        self._keep_total = int(keep_total)
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
                job._release_inputs()
                job._update(status=CANCELLED, finished=time.time())
                self._prune_locked(job)

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

    def _prune_locked(self, finishing: TrainingJob) -> None:
        """Drop finished jobs beyond the bounds, newest kept first (`finishing` counts as the
        newest); the caller holds the queue lock."""
        done = [j for j in self._jobs.values() if j.status in FINISHED or j is finishing]
        done.sort(key=lambda j: (j is finishing, j.finished or 0.0, j.job_id), reverse=True)
        per_owner: Counter[str] = Counter()
        kept = 0
        for job in done:
            if per_owner[job.owner] < self._keep_per_owner and kept < self._keep_total:
                per_owner[job.owner] += 1
                kept += 1
            else:
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
            # Idle waits last up to a minute: this frame must not keep the last job (and its model)
            # alive after its owner forgot it or the bounds dropped it.
            del job

    def _run(self, job: TrainingJob) -> None:
        job._update(status=RUNNING, started=time.time())

        def on_epoch(epoch: int, logs: dict[str, float]) -> None:
            with job._lock:
                job.epoch = epoch + 1
                job.history.append(dict(logs))

        def on_batch(batch: int, logs: dict[str, float]) -> None:
            job.batch = batch + 1

        hooks = ProgressHooks(on_epoch=on_epoch, on_batch=on_batch, should_stop=lambda: job.cancel_requested)
        outcome: dict[str, Any]
        try:
            result = self._runner(job, hooks)
        except Exception as err:  # reported to the owner as one line; the worker keeps serving
            message = str(err).splitlines()[0] if str(err) else type(err).__name__
            outcome = {"status": FAILED, "error": message, "details": traceback.format_exc()}
            _LOG.error("training job %s failed:\n%s", job.job_id, outcome["details"])  # the operator's log
        else:
            status = CANCELLED if job.cancel_requested or result.cancelled else DONE
            outcome = {"status": status, "result": None if status == CANCELLED else result}
            del result
        # Before the job shows as finished, so that whoever waits for it sees the memory settled.
        job._release_inputs()
        with self._lock:
            self._prune_locked(job)
        release_memory()
        job._update(**outcome, finished=time.time())
