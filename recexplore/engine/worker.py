"""TrainingWorker: the Ray actor that runs one training job in its own process and reports on it.

One worker runs one job, then the engine kills its process, so everything the training
allocated goes back to the operating system and no Keras state is carried to the next job.
A worker is created ahead of need (with Keras imported) so a job starts without that wait.
`progress` and `cancel` run on a separate concurrency group, so they answer while `run` trains.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import ray

from recexplore.training.request import TrainRequest

CONTROL = "control"  # the concurrency group of progress/cancel (answers while `run` trains)
TIME_BUDGET = "time budget"


def configure_threads(cpus: float) -> None:
    """Use as many compute threads as the job declared CPUs (before any TensorFlow op runs)."""
    threads = max(1, math.ceil(cpus))
    for var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ[var] = str(threads)
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # JAX: share a GPU between jobs
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(min(threads, 2))
            for gpu in tf.config.list_physical_devices("GPU"):  # several jobs share one GPU
                tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # TensorFlow already runs in this process: its thread pools stay as they are
            pass


@ray.remote(concurrency_groups={CONTROL: 1}, max_restarts=0, max_task_retries=0)
class TrainingWorker:
    """Runs one TrainRequest; `progress` and `cancel` answer while it trains."""

    def __init__(self, cpus: float, nice: int = 0) -> None:
        started = time.perf_counter()
        if nice and hasattr(os, "nice"):
            os.nice(nice)  # below the server: pages stay responsive while jobs train
        configure_threads(cpus)
        from recexplore import training  # noqa: F401  (Keras, TensorFlow, the models: the slow imports)

        self.import_seconds = time.perf_counter() - started
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._state: dict[str, Any] = {
            "status": "idle",
            "epoch": 0,
            "batch": 0,
            "history": [],
            "started": None,
            "pid": os.getpid(),
            "stopped_by": None,
            "batches_run": 0,
            "batches_at_cancel": None,
        }

    def ready(self) -> dict[str, Any]:
        """Process facts once the worker is up (pid, node, import time)."""
        return {
            "pid": os.getpid(),
            "node": ray.get_runtime_context().get_node_id(),
            "import_seconds": self.import_seconds,
        }

    @ray.method(concurrency_group=CONTROL)
    def progress(self) -> dict[str, Any]:
        """Status, epoch, batch and the per-epoch history so far."""
        with self._lock:
            return {**self._state, "history": list(self._state["history"])}

    @ray.method(concurrency_group=CONTROL)
    def cancel(self) -> None:
        """Stop after the batch now running (the batch count at this moment is kept, to measure that)."""
        with self._lock:
            if self._state["batches_at_cancel"] is None:
                self._state["batches_at_cancel"] = self._state["batches_run"]
        self._cancel.set()

    @ray.method(num_returns=2)
    def run(self, request: TrainRequest, data: Any, time_budget_s: float) -> tuple[dict[str, Any], bytes | None]:
        """Train; returns (summary, model bytes), the bytes None when cancelled or stopped.

        The summary holds the metrics, the history and the registry metadata (everything a
        page shows); the `.keras` bytes travel separately and are fetched only to save.
        """
        from recexplore.store.registry import build_meta
        from recexplore.training.pipeline import run
        from recexplore.training.trainer import ProgressHooks

        start = time.monotonic()
        with self._lock:
            self._state.update(status="running", started=time.time())

        def on_epoch(epoch: int, logs: dict[str, float]) -> None:
            with self._lock:
                self._state["epoch"] = epoch + 1
                self._state["history"].append(dict(logs))

        def on_batch(batch: int, logs: dict[str, float]) -> None:
            with self._lock:
                self._state["batch"] = batch + 1
                self._state["batches_run"] += 1

        def should_stop() -> bool:
            if self._cancel.is_set():
                return True
            if time.monotonic() - start > time_budget_s:
                self._state["stopped_by"] = TIME_BUDGET
                return True
            return False

        hooks = ProgressHooks(on_epoch=on_epoch, on_batch=on_batch, should_stop=should_stop)
        result = run(
            request.kind, request.config, data=data, split=request.split, seed=request.seed, hooks=hooks, peers=False
        ).result  # the page fetches the peers of the split once, from the cache, not per job
        stopped_by = self._state["stopped_by"] or ("cancel" if self._cancel.is_set() or result.cancelled else None)
        summary = {
            "kind": result.kind,
            "config": result.config.to_dict(),
            "metrics": dict(result.metrics),
            "history": [dict(h) for h in result.history],
            "params": result.params,
            "train_seconds": result.train_seconds,
            "device": result.device,
            "stopped_by": stopped_by,
            "meta": build_meta(result, name=""),
            "extras": dict(result.extras),
            "started": self._state["started"],
            "batches_run": self._state["batches_run"],
            "batches_at_cancel": self._state["batches_at_cancel"],
            "finished": time.time(),
        }
        with self._lock:
            self._state["status"] = "finished"
        if stopped_by is not None:
            return summary, None
        return summary, model_bytes(result.model)


def model_bytes(model: Any) -> bytes:
    """A Keras model as the bytes of its `.keras` archive."""
    with tempfile.TemporaryDirectory(prefix="recexplore-worker-") as scratch:
        path = Path(scratch) / "model.keras"
        model.save(path)
        return path.read_bytes()
