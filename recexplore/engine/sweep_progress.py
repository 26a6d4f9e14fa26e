"""A running sweep's live trial table, and the cancel that ends it early.

Ray Tune calls its callbacks on the thread that runs the sweep (the driver); `SweepProgress` keeps one
row per trial from them, under a lock, so a page on another thread reads a consistent copy at any
time (`rows`). The rows have the shape of the record's trials (`sweeps._trial_rows`), with the status
'running' while a trial trains. `cancel_stopper` ends the whole sweep once its event is set.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from typing import Any

from recexplore.config.text import one_line

RUNNING = "running"


def same_settings(settings: Mapping[str, Any], point: Mapping[str, Any] | None) -> bool:
    """Whether a trial's settings are `point`'s (layer lists compare as lists)."""

    def plain(values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}

    return point is not None and plain(settings) == plain(point)


class SweepProgress:
    """The trials of one sweep as they start, report and end; thread-safe.

    Args:
        metric: the sweep metric each report carries.
        preset_point: the preset's values of the swept settings, when the sweep's first trial runs them
            (that trial's row says `preset: True`).
    """

    def __init__(self, metric: str, preset_point: Mapping[str, Any] | None = None) -> None:
        self.metric = metric
        self.preset_point = dict(preset_point) if preset_point is not None else None
        self._lock = threading.Lock()
        self._rows: dict[str, dict[str, Any]] = {}

    def rows(self) -> list[dict[str, Any]]:
        """A copy of every trial's row, in the order the trials started."""
        with self._lock:
            return [{**row, "curve": list(row["curve"])} for row in self._rows.values()]

    def start(self, trial_id: str, settings: Mapping[str, Any]) -> None:
        """A trial started with `settings`."""
        with self._lock:
            if trial_id in self._rows:
                return
            marked = self.preset_point is not None and not any(r["preset"] for r in self._rows.values())
            self._rows[trial_id] = {
                "settings": dict(settings),
                "status": RUNNING,
                "error": None,
                "epochs": 0,
                "validation": None,
                "curve": [],
                "preset": marked and same_settings(settings, self.preset_point),
            }

    def result(self, trial_id: str, settings: Mapping[str, Any], result: Mapping[str, Any]) -> None:
        """A trial reported an epoch (or its failure: a report with an 'error')."""
        self.start(trial_id, settings)
        with self._lock:
            row = self._rows[trial_id]
            if result.get("error"):
                row.update(status="failed", error=str(result["error"]), validation=None)
                return
            value = result.get(self.metric)
            if isinstance(value, (int, float)) and math.isfinite(value):
                row["curve"].append(float(value))
                row["validation"] = float(value)
            row["epochs"] = int(result.get("epoch", row["epochs"]) or 0)

    def end(self, trial_id: str, settings: Mapping[str, Any], error: str | None = None) -> None:
        """A trial ended: 'done' (its last report held no error), or 'failed' with `error`."""
        self.start(trial_id, settings)
        with self._lock:
            row = self._rows[trial_id]
            if error:
                row.update(status="failed", error=error, validation=None)
            elif row["status"] == RUNNING:
                row["status"] = "done"


def progress_callback(progress: SweepProgress, settings_of: Callable[[Mapping[str, Any]], dict[str, Any]]) -> Any:
    """A Ray Tune callback that feeds `progress` each trial's settings as `settings_of` reads Tune's
    config (made here so Ray is imported only when a sweep runs).

    Tune pickles its callbacks and stopper into the experiment's state (classes made in a function are
    pickled whole, so they close over nothing); the copy it would restore from drops the live objects
    (a lock, an event), which only the running driver needs."""
    from ray.tune import Callback

    class _Feed(Callback):  # type: ignore[misc]
        def __init__(self, feeds: SweepProgress, read: Callable[[Mapping[str, Any]], dict[str, Any]]) -> None:
            self.progress: SweepProgress | None = feeds
            self.read = read

        def __getstate__(self) -> dict[str, Any]:
            return {"progress": None, "read": None}

        def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            if self.progress is not None:
                self.progress.start(trial.trial_id, self.read(trial.config or {}))

        def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
            if self.progress is not None:
                self.progress.result(trial.trial_id, self.read(trial.config or {}), result)

        def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            if self.progress is not None:
                self.progress.end(trial.trial_id, self.read(trial.config or {}))

        def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            reason = getattr(trial, "error_msg", None) or "the trial's worker failed"
            if self.progress is not None:
                self.progress.end(trial.trial_id, self.read(trial.config or {}), one_line(reason))

    return _Feed(progress, settings_of)


def cancel_stopper(cancel: threading.Event) -> Any:
    """A Ray Tune stopper that ends every trial, and the sweep, once `cancel` is set."""
    from ray.tune.stopper import Stopper

    class _Cancel(Stopper):  # type: ignore[misc]
        def __init__(self, event: threading.Event) -> None:
            self.cancel: threading.Event | None = event

        def __getstate__(self) -> dict[str, Any]:
            return {"cancel": None}

        def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
            return self.cancel is not None and self.cancel.is_set()

        def stop_all(self) -> bool:
            return self.cancel is not None and self.cancel.is_set()

    return _Cancel(cancel)
