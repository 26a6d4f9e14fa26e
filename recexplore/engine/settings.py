"""The training engine's settings: one place for every knob of jobs, workers and workspaces.

Each setting is read from an environment variable (the operator's switch) with a default
here; a bad value is refused with one line naming the variable. The app, the CLI, the
benchmarks and docs/class-server.md all read the names and defaults from this table.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

ADDRESS_ENV = "RECEXPLORE_RAY_ADDRESS"
RAY_OWN_ADDRESS_ENV = "RAY_ADDRESS"  # Ray's own variable, honoured when ours is unset
OPERATOR_TOKEN_ENV = "RECEXPLORE_OPERATOR_TOKEN"  # opens the teacher's view of every workspace's jobs
MIN_OPERATOR_TOKEN = 16  # shorter tokens leave the view closed (guessable)
TEACHERS_ENV = "RECEXPLORE_TEACHERS"  # with sign-in on: the identities (emails, subjects) the teacher's view opens for


class SettingsError(ValueError):
    """An operator setting with a value the engine cannot use; the message is one line."""


@dataclass(frozen=True)
class Setting:
    """One operator setting: its variable, default, bounds and meaning (for errors and docs/class-server.md)."""

    env: str
    default: float
    low: float
    high: float
    integer: bool
    help: str


SETTINGS: dict[str, Setting] = {
    "job_cpus": Setting(
        "RECEXPLORE_JOB_CPUS",
        1.0,
        0.1,
        256,
        False,
        "CPUs each training job declares (1: two jobs at once on a 2-core machine)",
    ),
    "job_gpus": Setting(
        "RECEXPLORE_JOB_GPUS",
        0.25,
        0.0,
        8,
        False,
        "GPU share each job declares when the cluster has GPUs (0.25: four jobs share one GPU)",
    ),
    "warm_workers": Setting(
        "RECEXPLORE_WARM_WORKERS",
        1,
        0,
        16,
        True,
        "idle workers kept with Keras imported, so the next job starts at once",
    ),
    "worker_nice": Setting(
        "RECEXPLORE_WORKER_NICE",
        10,
        0,
        19,
        True,
        "OS priority (nice) of training workers: pages stay responsive while jobs train",
    ),
    "local_cpus": Setting(
        "RECEXPLORE_RAY_CPUS",
        0,
        0,
        4096,
        True,
        "CPUs a local Ray offers to jobs (0: every CPU Ray detects, cgroup limits included)",
    ),
    "object_store_mb": Setting(
        "RECEXPLORE_RAY_OBJECT_STORE_MB",
        512,
        80,
        1 << 20,
        True,
        "object store of the local Ray instance (trained models wait there until saved)",
    ),
    "job_time_budget_s": Setting(
        "RECEXPLORE_JOB_TIME_BUDGET_S",
        1800,
        1,
        7 * 86400,
        True,
        "longest a job may train before it is stopped and marked failed",
    ),
    "max_active_jobs": Setting(
        "RECEXPLORE_MAX_ACTIVE_JOBS",
        4,
        1,
        100,
        True,
        "queued plus running jobs one workspace may have (Compare towers needs 3, Compare rankers 4 a split)",
    ),
    "max_saved_models": Setting(
        "RECEXPLORE_MAX_SAVED_MODELS",
        24,  # room for every lesson's default models (13, one-click prepare) and as many of one's own
        0,
        10000,
        True,
        "models one workspace may save from the app",
    ),
    "keep_finished_jobs": Setting(
        "RECEXPLORE_KEEP_FINISHED_JOBS", 6, 1, 1000, True, "finished jobs (and their unsaved models) kept per workspace"
    ),
}


@dataclass(frozen=True)
class EngineSettings:
    """Resolved settings (see SETTINGS for their meaning); `address` is None for a local Ray."""

    address: str | None = None
    job_cpus: float = SETTINGS["job_cpus"].default
    job_gpus: float = SETTINGS["job_gpus"].default
    warm_workers: int = int(SETTINGS["warm_workers"].default)
    worker_nice: int = int(SETTINGS["worker_nice"].default)
    local_cpus: int = int(SETTINGS["local_cpus"].default)
    object_store_mb: int = int(SETTINGS["object_store_mb"].default)
    job_time_budget_s: int = int(SETTINGS["job_time_budget_s"].default)
    max_active_jobs: int = int(SETTINGS["max_active_jobs"].default)
    max_saved_models: int = int(SETTINGS["max_saved_models"].default)
    keep_finished_jobs: int = int(SETTINGS["keep_finished_jobs"].default)

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name in SETTINGS:
                _check(SETTINGS[f.name], getattr(self, f.name), f.name)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EngineSettings:
        """The settings in `environ` (default: the process environment).

        Raises:
            SettingsError: a variable that is not a number in its range (one line, naming it).
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name, setting in SETTINGS.items():
            raw = env.get(setting.env, "").strip()
            if raw:
                values[name] = _parse(setting, raw)
        address = (env.get(ADDRESS_ENV) or env.get(RAY_OWN_ADDRESS_ENV) or "").strip() or None
        return cls(address=address, **values)  # type: ignore[arg-type]


def _parse(setting: Setting, raw: str) -> float | int:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{setting.env} must be a number, got {raw[:40]!r}") from None
    if setting.integer:
        if not value.is_integer():
            raise SettingsError(f"{setting.env} must be a whole number, got {raw[:40]!r}")
        return int(value)
    return value


def _check(setting: Setting, value: float, name: str) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise SettingsError(f"{setting.env} ({name}) must be a finite number, got {value!r}")
    if not setting.low <= value <= setting.high:
        shown = f"{setting.low:g} to {setting.high:g}"
        raise SettingsError(f"{setting.env} ({name}) must be from {shown}, got {value:g}")


def settings_table() -> list[dict[str, str]]:
    """One row per setting (variable, default, meaning), for docs/class-server.md and the help text."""
    rows = [
        {
            "variable": ADDRESS_ENV,
            "default": "(unset: a local Ray on this machine)",
            "meaning": f"address of a Ray cluster to join (also read from {RAY_OWN_ADDRESS_ENV})",
        }
    ]
    rows += [{"variable": s.env, "default": f"{s.default:g}", "meaning": s.help} for s in SETTINGS.values()]
    return rows
