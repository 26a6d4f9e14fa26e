"""Sweeps as jobs of a workspace: run in the background, watched live, cancelled, counted against limits.

A sweep's driver (Ray Tune's loop) runs on a thread of this server process; its trials run on the same
Ray as the training jobs, one CPU each, competing with them for the cluster's CPUs. While it runs, a
sweep counts against its workspace's active-job limit as many jobs as it runs trials at once
(`SweepRequest.concurrent`), through `JobManager.count_also`; the Teacher's view lists it beside the
training jobs. One sweep drives Ray Tune at a time per process (`sweeps.DRIVER_LOCK`): another waits,
queued, still counted. A sweep that fails, or whose trials all fail, fails that job alone, with one
line; the server goes on. Its time budget is never more than the operator's per-job budget. The record is saved
into the workspace's registry folder, so the page finds it again after a reload.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from recexplore.config.text import one_line
from recexplore.engine.jobs import CANCELLED, DONE, FAILED, FINISHED, QUEUED, RUNNING, JobManager
from recexplore.engine.sweep_progress import SweepProgress
from recexplore.engine.sweeps import DRIVER_LOCK, SweepCancelled, SweepRequest, run_sweep

_LOG = logging.getLogger("recexplore.engine.sweep_jobs")
QUEUE_POLL_S = 0.5  # how often a queued sweep looks for its cancel


@dataclass
class SweepJob:
    """One sweep as the server tracks it; its status fields change only under the manager's lock."""

    job_id: str
    workspace: str
    request: SweepRequest
    models_dir: Path
    submitted: float = field(default_factory=time.time)
    status: str = QUEUED
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    record: dict[str, Any] | None = None  # the saved record, once done
    progress: SweepProgress | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def slots(self) -> int:
        """How many jobs of its workspace's limit the sweep takes while it runs."""
        return min(self.request.trials, self.request.concurrent or 1)

    @property
    def label(self) -> str:
        """What it is, in a few words."""
        request = self.request
        return f"sweep of {request.kind} ({request.preset or request.family.default_preset}): {request.trials} trials"

    def rows(self) -> list[dict[str, Any]]:
        """Every trial's row: the record's once done, the live ones before."""
        if self.record is not None:
            return [dict(r) for r in self.record["trials"]]
        return self.progress.rows() if self.progress is not None else []

    def snapshot(self) -> dict[str, Any]:
        """The fields a page draws, as plain values."""
        rows = self.rows()
        end = self.finished or time.time()
        return {
            "job_id": self.job_id,
            "label": self.label,
            "status": self.status,
            "trials": rows,
            "started_trials": len(rows),
            "finished_trials": sum(r["status"] != "running" for r in rows),
            "total_trials": self.request.trials,
            "error": self.error,
            "elapsed": end - self.started if self.started else 0.0,
        }


class SweepManager:
    """Every sweep of this server process, across workspaces; thread-safe. Its sweeps count against
    the limits of `jobs`, the training jobs' manager."""

    def __init__(self, jobs: JobManager) -> None:
        self.jobs = jobs
        self._sweeps: dict[str, SweepJob] = {}
        self._lock = threading.RLock()
        self._submit_lock = threading.Lock()  # one check-and-register at a time
        jobs.count_also(self.active_slots)

    def active_slots(self, workspace: str) -> int:
        """How many jobs the workspace's unfinished sweeps count as."""
        with self._lock:
            return sum(s.slots for s in self._sweeps.values() if s.workspace == workspace and s.status not in FINISHED)

    def submit(self, workspace: str, request: SweepRequest, data: Any, models_dir: str | Path) -> SweepJob:
        """Check the sweep and the workspace's limit, then start it on a thread of its own.

        Raises:
            JobLimitError: the sweep's trials at once would pass the workspace's limit.
            SweepError: nothing to sweep, or settings that make no valid config (one line).
            ValueError: another setting the family refuses (one line).
            ResourceError: the trials at once would need more memory than the machine has.
        """
        budget = float(self.jobs.settings.job_time_budget_s)
        request = replace(
            request,
            concurrent=request.concurrent or 1,
            time_budget_s=min(request.time_budget_s or budget, budget),
        )
        request.searched()  # refused here, in one line, before anything starts
        _check_memory(request, data)
        metric, _ = request.metric()
        point = request.preset_point() if request.preset_trial else None
        sweep = SweepJob(
            secrets.token_hex(8), workspace, request, Path(models_dir), progress=SweepProgress(metric, point)
        )
        # Lock order: submit, then the job manager's (its check reads `active_slots`, which takes ours);
        # ours is never held while the job manager's is taken, so a training job's submit cannot deadlock.
        with self._submit_lock:
            self.jobs.check_limits(workspace, sweep.slots)
            with self._lock:
                self._sweeps[sweep.job_id] = sweep
        thread = threading.Thread(target=self._run, args=(sweep, data), name=f"recexplore-sweep-{sweep.job_id[:6]}")
        thread.daemon = True
        thread.start()
        return sweep

    def _run(self, sweep: SweepJob, data: Any) -> None:
        """The sweep's thread: it waits (queued) while another sweep drives Tune in this process, then
        runs; whatever happens, the sweep ends finished and the thread returns."""
        while not DRIVER_LOCK.acquire(timeout=QUEUE_POLL_S):
            if sweep._cancel.is_set():
                with self._lock:
                    self._finish(sweep, CANCELLED)
                return
        try:
            self._drive(sweep, data)
        finally:
            DRIVER_LOCK.release()

    def _drive(self, sweep: SweepJob, data: Any) -> None:
        with self._lock:
            if sweep._cancel.is_set():
                self._finish(sweep, CANCELLED)
                return
            sweep.status, sweep.started = RUNNING, time.time()
        try:
            done = run_sweep(
                sweep.request,
                data,
                sweep.models_dir,
                test_best=False,
                progress=sweep.progress,
                cancel=sweep._cancel,
            )
        except SweepCancelled:
            outcome: tuple[str, str | None, dict[str, Any] | None] = (CANCELLED, None, None)
        except Exception as err:  # noqa: BLE001 - a sweep's failure is its job's, never the server's
            _LOG.error("sweep %s failed", sweep.job_id, exc_info=True)
            outcome = (FAILED, one_line(err), None)
        else:
            outcome = (DONE, None, done.as_dict())
        with self._lock:
            sweep.record = outcome[2]
            self._finish(sweep, outcome[0], outcome[1])
            self._prune(sweep.workspace)

    def _finish(self, sweep: SweepJob, status: str, error: str | None = None) -> None:
        """Mark a sweep finished (caller holds the lock)."""
        if sweep.status not in FINISHED:
            sweep.status, sweep.error, sweep.finished = status, error, time.time()

    def _prune(self, workspace: str) -> None:
        """Forget the workspace's oldest finished sweeps beyond `keep_finished_jobs` (their records stay
        on disk; caller holds the lock)."""
        done = sorted(
            (s for s in self._sweeps.values() if s.workspace == workspace and s.status in FINISHED),
            key=lambda s: s.finished or 0.0,
            reverse=True,
        )
        for sweep in done[self.jobs.settings.keep_finished_jobs :]:
            self._sweeps.pop(sweep.job_id, None)

    def sweeps_for(self, workspace: str) -> list[SweepJob]:
        """The workspace's sweeps, newest first."""
        with self._lock:
            return sorted((s for s in self._sweeps.values() if s.workspace == workspace), key=lambda s: -s.submitted)

    def all_sweeps(self) -> list[SweepJob]:
        """Every workspace's sweeps, newest first (the Teacher's view)."""
        with self._lock:
            return sorted(self._sweeps.values(), key=lambda s: -s.submitted)

    def get(self, job_id: str, workspace: str) -> SweepJob | None:
        """A sweep by id, only for its own workspace."""
        with self._lock:
            sweep = self._sweeps.get(job_id) if isinstance(job_id, str) else None
        return sweep if sweep is not None and sweep.workspace == workspace else None

    def cancel(self, sweep: SweepJob) -> None:
        """Stop a sweep: its trials end after their current epoch, and nothing is saved."""
        sweep._cancel.set()

    def wait(self, sweep: SweepJob, timeout: float) -> bool:
        """Block until the sweep finishes or `timeout` seconds pass; True if finished."""
        deadline = time.time() + timeout
        while time.time() < deadline and sweep.status not in FINISHED:
            time.sleep(0.05)
        return sweep.status in FINISHED


def _check_memory(request: SweepRequest, data: Any) -> None:
    """Refuse a sweep whose trials at once would not fit in memory now: estimated as its preset on the
    training rows of all of them together (each trial's own memory is mostly its rows' batches)."""
    from recexplore.data.features import Vocabularies
    from recexplore.data.splits import make_split
    from recexplore.training.memory import check_training_memory

    preset = request.config({})
    split = make_split(data, request.split or request.family.default_split, seed=request.seed)
    rows = len(split.train) * min(request.trials, request.concurrent or 1)
    check_training_memory(request.kind, preset, Vocabularies.build(data).sizes(), rows)
