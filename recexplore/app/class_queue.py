"""The teacher's view of the whole class: every workspace's jobs and the engine's resources.

Open only with the operator token from the server's environment (`OPERATOR_TOKEN_ENV`),
compared in constant time (with sign-in on, the page opens for the listed teachers instead).
Workspaces are shown by `workspaces.label`, a short digest: the token is a student's key to their
workspace and never leaves the server.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Mapping
from typing import Any

from recexplore.engine.jobs import QUEUED, RUNNING, Job
from recexplore.engine.settings import MIN_OPERATOR_TOKEN, OPERATOR_TOKEN_ENV
from recexplore.engine.sweep_jobs import SweepJob
from recexplore.store.workspaces import label

OPERATOR_KEY = "class_queue_operator"  # session state: this session opened the view with the operator token


def operator_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """Why the view is closed on this server (no token, or one too short), or None when it can open."""
    token = (environ if environ is not None else os.environ).get(OPERATOR_TOKEN_ENV, "")
    if not token:
        return f"The teacher's view is off on this server: start it with {OPERATOR_TOKEN_ENV} set to a secret."
    if len(token) < MIN_OPERATOR_TOKEN:
        return f"The teacher's view is off: {OPERATOR_TOKEN_ENV} must be at least {MIN_OPERATOR_TOKEN} characters."
    return None


def token_matches(given: str, environ: Mapping[str, str] | None = None) -> bool:
    """True when `given` is the server's operator token (never when the view is off)."""
    if operator_problem(environ) is not None or not isinstance(given, str):
        return False
    token = (environ if environ is not None else os.environ)[OPERATOR_TOKEN_ENV]
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


def workspace_name(token: str, names: Mapping[str, str] | None = None) -> str:
    """How the teacher's view names a workspace: its label, after the signed-in person's name when known."""
    known = (names or {}).get(token)
    return f"{known} ({label(token)})" if known else label(token)


def job_rows(
    jobs: list[Job], positions: Mapping[str, int], now: float | None = None, names: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """One row per job for the operator's table: workspace (label, or the signed-in person and
    label), job, status, progress, timing."""
    now = time.time() if now is None else now
    rows = []
    for job in jobs:
        position = positions.get(job.job_id, -1)
        place = "running" if job.status == RUNNING else f"#{position} in queue" if job.status == QUEUED else job.status
        started = job.started or now
        rows.append(
            {
                "workspace": workspace_name(job.workspace, names),
                "job": job.job_id[:6],
                "what": job.label,
                "status": place,
                "epoch": f"{job.epoch} / {job.total_epochs}",
                "waited s": round(max(started - job.submitted, 0.0), 1),
                "ran s": round(((job.finished or now) - job.started) if job.started else 0.0, 1),
            }
        )
    return rows


def active(jobs: list[Job]) -> list[Job]:
    """The queued and running jobs."""
    return [j for j in jobs if j.status in (QUEUED, RUNNING)]


def counts(jobs: list[Job]) -> dict[str, int]:
    """How many jobs are running and how many wait, across every workspace."""
    return {"Running": sum(j.status == RUNNING for j in jobs), "Queued": sum(j.status == QUEUED for j in jobs)}


def sweep_rows(
    sweeps: list[SweepJob], now: float | None = None, names: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """One row per sweep for the operator's table: workspace, sweep, status, trials finished, how many
    jobs of its workspace's limit it takes while it runs, timing."""
    now = time.time() if now is None else now
    rows = []
    for sweep in sweeps:
        snap = sweep.snapshot()
        rows.append(
            {
                "workspace": workspace_name(sweep.workspace, names),
                "sweep": sweep.job_id[:6],
                "what": sweep.label,
                "status": sweep.status,
                "trials": f"{snap['finished_trials']} / {snap['total_trials']}",
                "jobs at once": sweep.slots,
                "ran s": round(((sweep.finished or now) - sweep.started) if sweep.started else 0.0, 1),
            }
        )
    return rows
