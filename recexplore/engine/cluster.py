"""Ray for training jobs: started lazily (a local instance sized to the machine) or joined (a cluster).

Ray's head processes (GCS, raylet) are started with the Linux parent-death signal tied to
the *thread* that started them, so a Ray started from a Streamlit script thread would die
with that page run. The engine therefore starts Ray on one long-lived thread of its own and
keeps that thread parked for the life of the process.

A local Ray is this machine's alone: its GCS, raylet, object manager, agents and workers listen
on the loopback address only (`LOOPBACK`), so a laptop on a classroom network offers none of
Ray's ports. Joining a cluster is unchanged (the cluster's nodes talk over their own addresses,
behind Ray's token authentication).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from recexplore.config.text import one_line
from recexplore.engine.settings import EngineSettings

NAMESPACE = "recexplore"
START_TIMEOUT_S = 180.0
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # recexplore/
LOOPBACK = "127.0.0.1"  # where every process of a local Ray listens
_LOG = logging.getLogger("recexplore.engine.cluster")


class EngineError(RuntimeError):
    """Ray could not be started or joined; the message is one line."""


class _Engine:
    """The process's connection to Ray (one per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._error: str | None = None
        self._thread: threading.Thread | None = None
        self.settings: EngineSettings | None = None
        self.start_seconds: float | None = None

    def ensure(self, settings: EngineSettings) -> None:
        """Start or join Ray once; later calls return at once (or wait for a start in progress)."""
        import ray

        with self._lock:
            if self._thread is None and ray.is_initialized():  # someone (a test, a script) did it already
                self.settings, self._error = settings, None
                self._ready.set()
            elif self._thread is None:
                self.settings, self._error = settings, None
                self._ready.clear()
                self._thread = threading.Thread(target=self._hold, args=(settings,), name="recexplore-ray", daemon=True)
                self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise EngineError(f"Ray did not start within {START_TIMEOUT_S:.0f} s; see the server log.")
        if self._error is not None:
            raise EngineError(self._error)

    def _hold(self, settings: EngineSettings) -> None:
        """Start Ray, then park this thread for good (Ray's children die with the thread that started them)."""
        import ray

        started = time.perf_counter()
        try:
            if not settings.address:
                _put_project_on_pythonpath()
                os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no telemetry from a local Ray
            with _keep_loopback(not settings.address):
                ray.init(**init_arguments(settings))
            self.start_seconds = time.perf_counter() - started
            _LOG.info(
                "Ray %s in %.1f s: %s",
                "joined" if settings.address else "started",
                self.start_seconds,
                ray.cluster_resources(),
            )
        except Exception as err:  # reported to the caller as one line
            first = one_line(err)
            where = f"the Ray cluster at {settings.address}" if settings.address else "a local Ray instance"
            self._error = f"Could not start {where}: {first[:200]}"
            _LOG.error("Ray start failed", exc_info=True)
            with self._lock:
                self._thread = None
            self._ready.set()
            return
        self._ready.set()
        threading.Event().wait()  # parked: returning would kill the local Ray's processes


ENGINE = _Engine()


@contextmanager
def _keep_loopback(local: bool) -> Iterator[None]:
    """While a local Ray starts, let its node address stay the loopback one.

    Ray replaces a loopback node address by the machine's routable one
    (`ray._private.services.resolve_ip_for_localhost`, so that other nodes could join), and its
    servers then listen on every interface. Given 127.0.0.1 itself, the GCS, the raylet, the
    object manager, the agents and every worker bind to the loopback address only. Checked by
    tests/test_engine.py, which lists what a local engine listens on.
    """
    from ray._private import services

    original = getattr(services, "resolve_ip_for_localhost", None)
    if not local or original is None:
        yield
        return
    services.resolve_ip_for_localhost = lambda host: host  # type: ignore[assignment]
    try:
        yield
    finally:
        services.resolve_ip_for_localhost = original


def _put_project_on_pythonpath() -> None:
    """Local workers inherit this environment: make `recexplore` importable there whatever the
    server's working directory (Ray itself adds only the script's folder and the current one)."""
    root = str(PACKAGE_DIR.parent)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *paths])


def init_arguments(settings: EngineSettings) -> dict[str, Any]:
    """`ray.init` arguments: join `settings.address`, or start a local Ray sized to the machine.

    A local Ray needs no code shipping: its workers start with the server's import path. A
    cluster's machines get the `recexplore` package from Ray (`py_modules`) and need only the
    requirements installed; the Keras backend chosen here travels with it.
    """
    common: dict[str, Any] = {
        "namespace": NAMESPACE,
        "log_to_driver": False,
        "configure_logging": False,
        "ignore_reinit_error": True,
    }
    if settings.address:
        env_vars = {k: os.environ[k] for k in ("KERAS_BACKEND",) if k in os.environ}
        return {
            **common,
            "address": settings.address,
            "runtime_env": {"py_modules": [str(PACKAGE_DIR)], "env_vars": env_vars},
        }
    local = {
        **common,
        "include_dashboard": False,
        "object_store_memory": settings.object_store_mb * 2**20,
        "_node_ip_address": LOOPBACK,
    }
    return {**local, "num_cpus": settings.local_cpus} if settings.local_cpus else local


def ensure_started(settings: EngineSettings | None = None) -> EngineSettings:
    """Start (or join) Ray if this process has not yet; returns the settings in use.

    Raises:
        EngineError: Ray could not be started or joined.
        SettingsError: an engine setting in the environment is invalid.
    """
    settings = settings or ENGINE.settings or EngineSettings.from_env()
    ENGINE.ensure(settings)
    return settings


def is_started() -> bool:
    """True when this process is connected to Ray (nothing is started by asking)."""
    import sys

    ray = sys.modules.get("ray")
    return ray is not None and ray.is_initialized()


def cluster_summary() -> dict[str, float]:
    """CPUs, GPUs and nodes of the connected cluster: totals and what is free now."""
    import ray

    total, free = ray.cluster_resources(), ray.available_resources()
    nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
    return {
        "cpus": float(total.get("CPU", 0)),
        "free_cpus": float(free.get("CPU", 0)),
        "gpus": float(total.get("GPU", 0)),
        "free_gpus": float(free.get("GPU", 0)),
        "nodes": float(nodes),
    }


def describe(settings: EngineSettings) -> str:
    """One line on where jobs run, for the Train page ('not started yet' until the first job)."""
    if not is_started():
        where = f"the Ray cluster at {settings.address}" if settings.address else "a local Ray on this machine"
        return f"Jobs run on {where}, started with the first training; each job takes {settings.job_cpus:g} CPU."
    c = cluster_summary()
    gpus = f", {c['free_gpus']:g} of {c['gpus']:g} GPUs free" if c["gpus"] else ""
    where = f"Ray cluster at {settings.address}" if settings.address else "local Ray"
    return (
        f"Jobs run on the {where}: {c['nodes']:g} node(s), {c['free_cpus']:g} of {c['cpus']:g} CPUs free{gpus}; "
        f"each job takes {settings.job_cpus:g} CPU."
    )
