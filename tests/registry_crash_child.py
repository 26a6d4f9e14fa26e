"""Child process for the kill-mid-save tests: runs one registry save or delete and SIGKILLs
itself just before its Nth file-system step (or runs to the end when N is past the last step).
The same step counter raises an OSError instead (disk full, permission denied) when the
in-process tests set `STEPS["errno"]`.

Usage: python -m tests.registry_crash_child DIR NAME (save MODEL_BYTES META_JSON | delete) KILL_AT

On completion it prints the number of steps it took. The model written is real .keras bytes
(produced by the parent test with Keras), written in chunks so a kill can land mid-file;
Keras itself is not imported here, so a child starts in a fraction of a second.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from recexplore.data.sources import DEFAULT_DATASET
from recexplore.store import atomic, registry

STEPS = {"count": 0, "kill_at": 0, "errno": 0}
STEPPED_OS_CALLS = ("mkdir", "rename", "replace", "fsync", "unlink", "rmdir")
CHUNKS = 4


def step() -> None:
    """Count one file-system step; die (or fail with STEPS["errno"]) before the chosen one."""
    STEPS["count"] += 1
    if STEPS["count"] == STEPS["kill_at"]:
        if STEPS["errno"]:
            raise OSError(STEPS["errno"], os.strerror(STEPS["errno"]))
        os.kill(os.getpid(), signal.SIGKILL)


def counted(real: Any) -> Any:
    """`real`, counting a step before each call."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        step()
        return real(*args, **kwargs)

    return wrapper


class ChunkedModel:
    """Stands in for a Keras model: save() writes real .keras bytes, chunk by chunk."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    def save(self, path: Path) -> None:
        size = -(-len(self.payload) // CHUNKS)
        with open(path, "wb") as handle:
            for start in range(0, len(self.payload), size):
                step()
                handle.write(self.payload[start : start + size])
                handle.flush()


def split_write(path: Path, payload: bytes) -> None:
    """atomic.write_file in two halves with a step between them (a kill leaves half a file)."""
    with open(path, "xb") as handle:
        handle.write(payload[: len(payload) // 2])
        handle.flush()
        step()
        handle.write(payload[len(payload) // 2 :])
        handle.flush()
        os.fsync(handle.fileno())


def fake_result(model_bytes: Path, meta_json: Path) -> SimpleNamespace:
    meta = json.loads(meta_json.read_text())

    def as_dict(value: dict[str, Any]) -> SimpleNamespace:
        return SimpleNamespace(to_dict=lambda: value)

    return SimpleNamespace(
        kind=meta["kind"],
        config=as_dict(meta["config"]),
        vocab=as_dict(meta["vocab"]),
        data_fingerprint=meta.get("data_fingerprint", ""),
        split=meta.get("split", ""),
        seed=meta.get("seed", 0),
        dataset=meta.get("dataset", DEFAULT_DATASET),
        metrics=meta.get("metrics", {}),
        history=meta.get("history", []),
        params=meta.get("params", 0),
        train_seconds=0.0,
        device="cpu",
        model=ChunkedModel(model_bytes.read_bytes()),
    )


def main(argv: list[str]) -> None:
    directory, name, op = argv[0], argv[1], argv[2]
    STEPS["kill_at"] = int(argv[-1])
    registry.library_versions = lambda: {"keras": "test", "keras_rs": "test", "numpy": "test", "backend": "test"}
    for attr in STEPPED_OS_CALLS:
        setattr(os, attr, counted(getattr(os, attr)))
    atomic.write_file = split_write
    if op == "save":
        registry.save(fake_result(Path(argv[3]), Path(argv[4])), name, directory, overwrite=True)
    else:
        registry.delete(name, directory)
    print(STEPS["count"])


if __name__ == "__main__":
    main(sys.argv[1:])
