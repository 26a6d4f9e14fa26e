"""A data set prepared in one click: the plan's models trained as jobs of a workspace, then saved.

A `Preparation` is driven by a thread of its own, so it goes on when the browser that started it
is closed: it submits the plan's models through the workspace's `JobManager` as slots free up
(they count against the workspace's limit on active jobs, beside its other jobs), saves each
finished model under its plan name where the app lists it for the data set (`Target`), and forgets
the job once saved. A model that fails, cannot be submitted or cannot be saved fails alone with one
line; the others go on. `Preparations` holds the server's preparations, one per (target, data set).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recexplore.config.text import one_line
from recexplore.engine.jobs import CANCELLED, DONE, FAILED, FINISHED, QUEUED, RUNNING, Job, JobLimitError, JobManager
from recexplore.engine.prepare import PlannedModel, name_problem
from recexplore.store import registry, workspaces
from recexplore.store.entry_format import RegistryError

WAITING, SAVED = "waiting", "saved"  # before its job is queued; after its model is saved
ENDED = (SAVED, FAILED, CANCELLED)
DRIVE_S = 0.5  # how often the driver looks at its jobs
_LOG = logging.getLogger("recexplore.engine.preparation")


@dataclass(frozen=True)
class Target:
    """Where prepared models are saved: the shared registry (the operator prepares the data set for
    everyone), or the workspace's own (anyone else; only that workspace sees them)."""

    workspace: str  # whose jobs train them (the operator's own workspace when shared)
    shared: bool
    max_saved: int  # the workspace's cap on saved models (not applied to the shared registry)

    @property
    def folder(self) -> Path:
        """The registry folder the models go to."""
        return registry.models_dir() if self.shared else workspaces.workspace_dir(self.workspace)

    @property
    def where(self) -> str:
        """'the shared models' or 'your workspace': where the page says they went."""
        return "the shared models (everyone sees them)" if self.shared else "your workspace"

    def problems(self, models: list[PlannedModel], dataset: str) -> list[str]:
        """One line per reason `models` cannot all be saved here (nothing trains when any is found)."""
        try:
            unusable = registry.writable_problem(self.folder)
        except RegistryError as err:
            unusable = str(err)
        if unusable is not None:
            return [f"Cannot save there: {unusable}"]
        existing = {e.name: e for e in registry.list_entries(self.folder)} if self.folder.is_dir() else {}
        shared = set() if self.shared else {e.name for e in registry.list_entries()}
        found = []
        for model in models:
            problem = name_problem(model, dataset, existing.get(model.name))
            if problem is None and model.name in shared:
                problem = f"{model.name!r} is a shared model's name, so your workspace cannot save one under it."
            if problem is not None:
                found.append(problem)
        if not self.shared:
            kept = len([name for name in existing if name not in {m.name for m in models}])
            room = max(self.max_saved - kept, 0)
            if len(models) > room:
                found.append(
                    f"Your workspace may save {self.max_saved} models and has room for {room}; preparing "
                    f"needs {len(models)}: delete some of yours first."
                )
        return found

    def save(self, model_bytes: bytes, meta: dict[str, Any], name: str) -> None:
        """Save one trained model under `name` (replacing a broken one or this data set's own)."""
        if self.shared:
            registry.save_payload(model_bytes, meta, name, self.folder, overwrite=True)
        else:
            workspaces.save(self.workspace, model_bytes, meta, name, overwrite=True, max_saved=self.max_saved)


@dataclass
class ModelState:
    """Where one planned model stands."""

    model: PlannedModel
    status: str = WAITING  # WAITING, QUEUED, RUNNING, SAVED, FAILED, CANCELLED
    job: Job | None = None
    error: str | None = None

    def snapshot(self, manager: JobManager) -> dict[str, Any]:
        """Plain values for a progress row."""
        job = self.job
        return {
            "name": self.model.name,
            "label": self.model.label,
            "status": self.status,
            "epoch": job.epoch if job is not None else 0,
            "total_epochs": int(self.model.config.epochs),
            "position": manager.position(job) if job is not None else -1,
            "error": self.error,
        }


@dataclass
class Preparation:
    """One data set being prepared into one target."""

    manager: JobManager
    target: Target
    data: Any
    models: list[ModelState]
    started: float = field(default_factory=time.time)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _thread: threading.Thread | None = None

    @property
    def finished(self) -> bool:
        """Whether every model has ended (saved, failed or cancelled)."""
        with self._lock:
            return all(s.status in ENDED for s in self.models)

    def snapshot(self) -> list[dict[str, Any]]:
        """One row per model, as a page draws it."""
        with self._lock:
            return [s.snapshot(self.manager) for s in self.models]

    def start(self) -> None:
        """Start the driver thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._drive, name="recexplore-prepare", daemon=True)
            self._thread.start()

    def cancel(self) -> None:
        """Cancel the models not yet saved (a running job stops after its current batch)."""
        self._stop.set()
        with self._lock:
            for state in self.models:
                if state.job is not None and state.status in (QUEUED, RUNNING):
                    self.manager.cancel(state.job)
                elif state.status == WAITING:
                    state.status = CANCELLED

    def wait(self, timeout: float) -> bool:
        """Block until every model has ended or `timeout` seconds pass (tests, the CLI); True if ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.finished

    def _drive(self) -> None:
        while not self.finished:
            try:
                self.step()
            except Exception as err:  # a bug must not leave the page waiting forever: one line each
                _LOG.exception("preparation stopped")
                with self._lock:
                    for state in self.models:
                        if state.status not in ENDED:
                            state.status, state.error = FAILED, f"the preparation stopped: {one_line(err)}"
                return
            time.sleep(DRIVE_S)

    def step(self) -> None:
        """Collect and save what finished, then submit what waits while the workspace has room."""
        for state in list(self.models):
            if state.job is not None and state.status in (QUEUED, RUNNING):
                self._follow(state)
        for state in [s for s in self.models if s.status == WAITING]:
            if self._stop.is_set() or not self._submit(state):
                break

    def _follow(self, state: ModelState) -> None:
        job = state.job
        assert job is not None
        if job.status not in FINISHED:
            with self._lock:
                state.status = job.status
            return
        if job.status == DONE and job.result is not None:
            try:
                self.target.save(self.manager.model_bytes(job), job.result.meta, state.model.name)
            except (RegistryError, ValueError) as err:
                outcome: tuple[str, str | None] = (FAILED, f"not saved: {one_line(err)}")
            else:
                outcome = (SAVED, None)
                self.manager.forget(job)  # saved: the Train page need not offer it again
        elif job.status == CANCELLED:
            outcome = (CANCELLED, None)
        else:
            outcome = (FAILED, one_line(job.error or "the job failed"))
        with self._lock:
            state.status, state.error = outcome

    def _submit(self, state: ModelState) -> bool:
        """Queue one model's job; False when the workspace has no free slot (try again later)."""
        try:
            job = self.manager.submit(self.target.workspace, state.model.request(), self.data)
        except JobLimitError:
            return False
        except Exception as err:  # ResourceError, DataError, EngineError, ValueError: this model alone fails
            with self._lock:
                state.status, state.error = FAILED, one_line(err)
            return True
        with self._lock:
            state.job, state.status = job, QUEUED
        return True


class Preparations:
    """The server's preparations, one per (target, data set); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: dict[tuple[str, str], Preparation] = {}

    @staticmethod
    def _key(target: Target, fingerprint: str) -> tuple[str, str]:
        return ("shared" if target.shared else target.workspace, fingerprint)

    def start(
        self,
        manager: JobManager,
        target: Target,
        data: Any,
        models: list[PlannedModel],
    ) -> Preparation:
        """Start preparing `data` into `target` with `models`, unless one is already under way there
        (then that one). Raises ValueError (one line) when `target` cannot take them."""
        key = self._key(target, data.fingerprint)
        with self._lock:
            running = self._found.get(key)
            if running is not None and not running.finished:
                return running
            problems = target.problems(models, data.dataset)
            if problems:
                raise ValueError(" ".join(problems))
            found = Preparation(manager, target, data, [ModelState(m) for m in models])
            self._found[key] = found
        found.start()
        return found

    def find(self, workspace: str, fingerprint: str) -> Preparation | None:
        """The workspace's own preparation of this data set, else the shared one, else None."""
        with self._lock:
            return self._found.get((workspace, fingerprint)) or self._found.get(("shared", fingerprint))

    def forget(self, preparation: Preparation) -> None:
        """Drop a finished preparation (its outcome was shown)."""
        with self._lock:
            for key, found in list(self._found.items()):
                if found is preparation and found.finished:
                    del self._found[key]
