"""Training jobs on Ray: submit, watch, cancel and collect, per workspace.

Each job runs in a `TrainingWorker` actor process that declares its CPUs (and a GPU share
where the cluster has GPUs); Ray runs as many at once as the cluster holds and keeps the
rest waiting. The server keeps only each job's small summary (status, progress, metrics);
the trained model's bytes stay in Ray's object store until the owner saves or forgets it.
A worker runs one job and is then killed, so its memory goes back to the system; spare
workers are started ahead of need (`warm_workers`) so a job does not wait for Keras to import.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from recexplore.config.text import one_line
from recexplore.engine.cluster import ensure_started
from recexplore.engine.settings import EngineSettings
from recexplore.families import family
from recexplore.training.request import TrainRequest

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
POLL_S = 0.25  # how often the server asks running workers for progress
KILL_GRACE_S = 30.0  # past its time budget plus this, a worker that did not stop is killed
WORKER_DIED = "the worker process died (killed, or out of memory); nothing was saved"
_LOG = logging.getLogger("recexplore.engine.jobs")


class JobLimitError(ValueError):
    """A workspace asked for more than its limits allow; the message is one line."""


@dataclass
class JobResult:
    """What a finished job produced, as the pages need it (the model itself stays in Ray)."""

    kind: str
    config: Any
    metrics: dict[str, float]
    history: list[dict[str, float]]
    params: int
    train_seconds: float
    device: str
    meta: dict[str, Any]
    extras: dict[str, Any] = field(default_factory=dict)  # slices, per-user values (training.TrainResult.extras)

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> JobResult:
        """From a worker's summary."""
        config_cls = family(summary["kind"]).config
        return cls(
            summary["kind"],
            config_cls.from_dict(summary["config"]),
            summary["metrics"],
            summary["history"],
            int(summary["params"]),
            float(summary["train_seconds"]),
            summary["device"],
            summary["meta"],
            dict(summary.get("extras", {})),
        )


@dataclass
class Job:
    """One job as the server tracks it; fields change only under the manager's lock."""

    job_id: str
    workspace: str
    request: TrainRequest
    group: str = ""  # jobs submitted together (Compare's three presets) share it
    submitted: float = field(default_factory=time.time)
    status: str = QUEUED
    epoch: int = 0
    batch: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    started: float | None = None
    finished: float | None = None
    result: JobResult | None = None
    error: str | None = None
    cancel_requested: bool = False
    ran: tuple[float, float] | None = None  # when the worker started and ended training (its clock)
    batches: tuple[int, int | None] = (0, None)  # batches run, and how many had run when the cancel arrived
    _actor: Any = field(default=None, repr=False)
    _summary_ref: Any = field(default=None, repr=False)
    _model_ref: Any = field(default=None, repr=False)
    _progress_ref: Any = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """The request's description."""
        return self.request.label

    @property
    def total_epochs(self) -> int:
        """Epochs asked for."""
        return self.request.epochs

    def snapshot(self) -> dict[str, Any]:
        """The fields a page draws, as plain values."""
        end = self.finished or time.time()
        return {
            "job_id": self.job_id,
            "label": self.label,
            "status": self.status,
            "epoch": self.epoch,
            "batch": self.batch,
            "total_epochs": self.total_epochs,
            "history": [dict(h) for h in self.history],
            "error": self.error,
            "elapsed": end - self.started if self.started else 0.0,
        }


class JobManager:
    """Every training job of this server process, across workspaces; thread-safe."""

    def __init__(self, settings: EngineSettings | None = None) -> None:
        self.settings = settings or EngineSettings.from_env()
        self._jobs: dict[str, Job] = {}
        self._data_refs: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._poller: threading.Thread | None = None
        self._closed = threading.Event()
        self._also_active: list[Callable[[str], int]] = []  # other work that counts against the limit

    def count_also(self, active: Callable[[str], int]) -> None:
        """Count `active(workspace)` more jobs against each workspace's limit (a running sweep counts
        as many as it runs trials at once: `sweep_jobs.SweepManager`)."""
        with self._lock:
            self._also_active.append(active)

    # ---- submitting -------------------------------------------------------------------------
    def check_limits(self, workspace: str, new_jobs: int = 1) -> None:
        """Refuse (JobLimitError) when `new_jobs` more would pass the workspace's active-job limit."""
        limit = self.settings.max_active_jobs
        with self._lock:
            active = sum(1 for j in self._jobs.values() if j.workspace == workspace and j.status not in FINISHED)
            active += sum(count(workspace) for count in self._also_active)
        if active + new_jobs > limit:
            raise JobLimitError(
                f"This workspace may have {limit} jobs queued or running at once and has {active}: "
                "wait for one to finish or cancel one."
            )

    def submit(self, workspace: str, request: TrainRequest, data: Any) -> Job:
        """Queue one training job for `workspace` (see `submit_many`)."""
        return self.submit_many(workspace, [request], data)[0]

    def submit_many(self, workspace: str, requests: list[TrainRequest], data: Any) -> list[Job]:
        """Check every request, then queue them all (or none).

        Raises:
            JobLimitError: the workspace's limit on active jobs would be passed.
            ResourceError: a request needs more memory than the machine has.
            DataError / ValueError: the split cannot be made from `data`.
            EngineError: Ray could not be started or joined.
        """
        from recexplore.data.features import Vocabularies
        from recexplore.data.splits import make_split
        from recexplore.training.memory import check_training_memory

        self.check_limits(workspace, len(requests))
        sizes = Vocabularies.build(data).sizes()
        for request in requests:
            split = make_split(data, request.split, seed=request.seed)
            check_training_memory(request.kind, request.config, sizes, len(split.train))
        ensure_started(self.settings)
        data_ref = self._data_ref(data)
        jobs = []
        with self._lock:
            self.check_limits(workspace, len(requests))  # again, under the lock: two tabs may race
            group = secrets.token_hex(4)
            for request in requests:
                job = Job(secrets.token_hex(8), workspace, request, group)
                job._actor = self._take_worker()
                job._summary_ref, job._model_ref = job._actor.run.remote(
                    request, data_ref, float(self.settings.job_time_budget_s)
                )
                self._jobs[job.job_id] = job
                jobs.append(job)
            self._top_up_spares()
            self._ensure_poller()
        return jobs

    def _data_ref(self, data: Any) -> Any:
        """The data set in Ray's object store, put there once per fingerprint."""
        import ray

        with self._lock:
            if data.fingerprint not in self._data_refs:
                self._data_refs = {data.fingerprint: ray.put(data)}  # one data set at a time
            return self._data_refs[data.fingerprint]

    def _worker_shape(self) -> tuple[float, float, int]:
        """(CPUs, GPU share, nice) of each job's worker; no GPU share where the cluster has none."""
        import ray

        gpus = self.settings.job_gpus if ray.cluster_resources().get("GPU", 0) > 0 else 0.0
        return float(self.settings.job_cpus), float(gpus), int(self.settings.worker_nice)

    def _take_worker(self) -> Any:
        return POOL.take(*self._worker_shape())

    def _top_up_spares(self) -> None:
        POOL.top_up(*self._worker_shape(), self.settings.warm_workers)

    def warm(self) -> None:
        """Start Ray and the spare workers now, and wait until they are up (CLI, benchmarks, tests)."""
        ensure_started(self.settings)
        self._top_up_spares()
        POOL.wait_ready()

    # ---- reading ----------------------------------------------------------------------------
    def jobs_for(self, workspace: str) -> list[Job]:
        """The workspace's jobs, newest first."""
        with self._lock:
            return sorted((j for j in self._jobs.values() if j.workspace == workspace), key=lambda j: -j.submitted)

    def all_jobs(self) -> list[Job]:
        """Every workspace's jobs, newest first (the operator's view; never shown to students)."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: -j.submitted)

    def get(self, job_id: str, workspace: str) -> Job | None:
        """A job by id, only for its own workspace."""
        with self._lock:
            job = self._jobs.get(job_id) if isinstance(job_id, str) else None
        return job if job is not None and job.workspace == workspace else None

    def position(self, job: Job) -> int:
        """0 while running, 1.. for its place among waiting jobs (all workspaces), -1 when finished."""
        with self._lock:
            if job.status == RUNNING:
                return 0
            if job.status != QUEUED:
                return -1
            return 1 + sum(1 for j in self._jobs.values() if j.status == QUEUED and j.submitted < job.submitted)

    def model_bytes(self, job: Job) -> bytes:
        """The trained model's `.keras` bytes (fetched from Ray's object store).

        Raises:
            ValueError: the job has no model (not done, cancelled, failed or forgotten).
        """
        import ray

        with self._lock:
            ref = job._model_ref if job.status == DONE else None
        if ref is None:
            raise ValueError(f"Job {job.job_id} has no trained model to save.")
        return ray.get(ref)

    def worker_progress(self, job: Job, timeout: float = 30.0) -> dict[str, Any]:
        """Ask the job's worker directly (its pid, batch counts, ...): diagnostics and tests."""
        import ray

        return ray.get(job._actor.progress.remote(), timeout=timeout)

    def wait(self, job: Job, timeout: float) -> bool:
        """Block until the job finishes or `timeout` seconds pass; True if finished."""
        deadline = time.time() + timeout
        while time.time() < deadline and job.status not in FINISHED:
            if self._poller is None or not self._poller.is_alive():
                self.poll()
            time.sleep(0.05)
        return job.status in FINISHED

    # ---- cancelling and forgetting ----------------------------------------------------------
    def cancel(self, job: Job) -> None:
        """Cancel a waiting job at once, or a running one after its current batch."""
        import ray

        with self._lock:
            if job.status in FINISHED:
                return
            job.cancel_requested = True
            if job.status == QUEUED:  # its worker is not running it yet: drop the worker now
                ray.kill(job._actor, no_restart=True)
                self._finish(job, CANCELLED)
                return
            job._actor.cancel.remote()

    def forget(self, job: Job) -> None:
        """Drop a finished job and its unsaved model."""
        with self._lock:
            if job.status in FINISHED:
                self._jobs.pop(job.job_id, None)
                job._model_ref = None

    def shutdown(self) -> None:
        """Stop polling, cancel unfinished jobs and kill the spare workers (tests, the end of a CLI run)."""
        import ray

        self._closed.set()
        with self._lock:
            for job in self._jobs.values():
                if job.status not in FINISHED:
                    job.cancel_requested = True
                    ray.kill(job._actor, no_restart=True)
                    self._finish(job, CANCELLED)
        POOL.clear()

    # ---- the poller -------------------------------------------------------------------------
    def _ensure_poller(self) -> None:
        if self._poller is None or not self._poller.is_alive():
            self._poller = threading.Thread(target=self._poll_forever, name="recexplore-jobs", daemon=True)
            self._poller.start()

    def _poll_forever(self) -> None:
        while not self._closed.wait(POLL_S):
            try:
                if not self.poll():
                    with self._lock:  # nothing left to watch: stop until the next submit
                        if not any(j.status not in FINISHED for j in self._jobs.values()):
                            self._poller = None
                            return
            except Exception:  # the poller must survive anything one job does
                _LOG.exception("job poller")

    def poll(self) -> bool:
        """Collect finished jobs and fresh progress once; True while any job is unfinished."""
        import ray

        with self._lock:
            active = [j for j in self._jobs.values() if j.status not in FINISHED]
        if not active:
            return False
        ready, _ = ray.wait([j._summary_ref for j in active], num_returns=len(active), timeout=0)
        ready_ids = {ref.hex() for ref in ready}
        for job in active:
            if job._summary_ref.hex() in ready_ids:
                self._collect(job)
            else:
                self._refresh(job)
        return True

    def _refresh(self, job: Job) -> None:
        """Take the worker's last progress answer if it came, and ask again."""
        import ray

        if job._progress_ref is not None:
            done, _ = ray.wait([job._progress_ref], timeout=0)
            if not done:
                self._enforce_budget(job)
                return
            try:
                progress = ray.get(job._progress_ref)
            except Exception:  # the worker died; `_collect` reports it when the run's ref fails
                progress = None
            with self._lock:
                if progress is not None and job.status not in FINISHED:
                    job.epoch, job.batch = int(progress["epoch"]), int(progress["batch"])
                    job.history = progress["history"]
                    if progress["status"] == "running" and job.status == QUEUED:
                        job.status, job.started = RUNNING, float(progress["started"])
        self._enforce_budget(job)
        job._progress_ref = job._actor.progress.remote()

    def _enforce_budget(self, job: Job) -> None:
        """Kill a worker that kept training past its time budget (it normally stops itself)."""
        import ray

        if job.started and time.time() - job.started > self.settings.job_time_budget_s + KILL_GRACE_S:
            ray.kill(job._actor, no_restart=True)
            with self._lock:
                self._finish(
                    job, FAILED, f"stopped: it ran past the time budget of {self.settings.job_time_budget_s} s"
                )

    def _collect(self, job: Job) -> None:
        """Read a finished job's summary (or its worker's death) and recycle its worker."""
        import ray

        try:
            summary = ray.get(job._summary_ref)
        except ray.exceptions.RayActorError:
            outcome: tuple[str, str | None] = (CANCELLED, None) if job.cancel_requested else (FAILED, WORKER_DIED)
            summary = None
        except Exception as err:  # the training raised: one line for the page, the whole story for the log
            outcome, summary = (FAILED, one_line(getattr(err, "cause", None) or err)), None
            _LOG.error("training job %s failed:\n%s", job.job_id, err)
        else:
            stopped_by = summary["stopped_by"]
            if stopped_by == "time budget":
                outcome = (FAILED, f"stopped: it ran past the time budget of {self.settings.job_time_budget_s} s")
            elif stopped_by is not None:
                outcome = (CANCELLED, None)
            else:
                outcome = (DONE, None)
        ray.kill(job._actor, no_restart=True)  # one job per worker: its memory goes back to the system
        with self._lock:
            if summary is not None:
                job.ran = (float(summary["started"]), float(summary["finished"]))
                job.batches = (int(summary["batches_run"]), summary["batches_at_cancel"])
                job.started = job.started or job.ran[0]
                job.history = [dict(h) for h in summary["history"]]
                job.epoch = len(job.history)
                if outcome[0] == DONE:
                    job.result = JobResult.from_summary(summary)
            self._finish(job, *outcome)
            self._prune(job.workspace)

    def _finish(self, job: Job, status: str, error: str | None = None) -> None:
        """Mark a job finished (caller holds the lock); only a done job keeps its model."""
        if job.status in FINISHED:
            return
        job.status, job.error, job.finished = status, error, time.time()
        if status != DONE:
            job._model_ref = None
        job._progress_ref = None

    def _prune(self, workspace: str) -> None:
        """Forget the workspace's oldest finished jobs beyond `keep_finished_jobs` (caller holds the lock)."""
        done = sorted(
            (j for j in self._jobs.values() if j.workspace == workspace and j.status in FINISHED),
            key=lambda j: j.finished or 0.0,
            reverse=True,
        )
        for job in done[self.settings.keep_finished_jobs :]:
            self._jobs.pop(job.job_id, None)
            job._model_ref = None


class WorkerPool:
    """Spare workers, started ahead of need and shared by every JobManager of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spares: deque[tuple[tuple[float, float, int], Any]] = deque()

    def take(self, cpus: float, gpus: float, nice: int) -> Any:
        """The oldest spare of this shape (maybe still waiting for a CPU), or a new worker."""
        with self._lock:
            for i, (shape, worker) in enumerate(self._spares):
                if shape == (cpus, gpus, nice):
                    del self._spares[i]
                    return worker
        return _new_worker(cpus, gpus, nice)

    def top_up(self, cpus: float, gpus: float, nice: int, count: int) -> None:
        """Keep `count` spares of this shape; spares of another shape (old settings) are dropped."""
        import ray

        shape = (cpus, gpus, nice)
        with self._lock:
            for _, worker in [s for s in self._spares if s[0] != shape]:
                ray.kill(worker, no_restart=True)
            kept = deque(s for s in self._spares if s[0] == shape)
            while len(kept) < count:
                kept.append((shape, _new_worker(*shape)))
            while len(kept) > count:
                ray.kill(kept.pop()[1], no_restart=True)
            self._spares = kept

    def wait_ready(self, timeout: float = 300.0) -> None:
        """Block until every spare has started (imported Keras)."""
        import ray

        with self._lock:
            workers = [w for _, w in self._spares]
        ray.get([w.ready.remote() for w in workers], timeout=timeout)

    def clear(self) -> None:
        """Kill every spare."""
        import ray

        with self._lock:
            for _, worker in self._spares:
                ray.kill(worker, no_restart=True)
            self._spares.clear()


def _new_worker(cpus: float, gpus: float, nice: int) -> Any:
    from recexplore.engine.worker import TrainingWorker

    return TrainingWorker.options(num_cpus=cpus, num_gpus=gpus).remote(cpus, nice)


POOL = WorkerPool()
