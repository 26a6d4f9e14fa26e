"""Sweep records on disk: written into `<models dir>/.sweeps/` (hidden from the registry's listing), one
JSON file per sweep, and read back for the Sweeps and Runs pages. No Ray here.

A record is `Sweep.as_dict()`: the family, preset, space, metric and its direction, every trial's
settings, curve and validation value (or error), the best, and the data set's fingerprint.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SWEEPS_FOLDER = ".sweeps"  # beside the models, hidden from the registry's listing
MAX_RECORD_BYTES = 16 << 20  # a record of MAX_TRIALS trials with long curves stays far below this
MAX_LISTED = 200  # the newest records a listing reads


def write_record(record: dict[str, Any], kind: str, models_dir: str | Path | None = None) -> Path:
    """Write `record` into `<models dir>/.sweeps/` (atomically, the folder made a registry if new); its path."""
    from recexplore.store.atomic import write_file
    from recexplore.store.registry import models_dir as registry_dir
    from recexplore.store.registry import open_registry

    root = registry_dir(models_dir)
    open_registry(root, create=True)  # a new folder becomes a registry, as a first save makes it
    folder = root / SWEEPS_FOLDER
    folder.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{kind}-{stamp}.json"
    write_file(path, json.dumps(record, indent=1, default=str).encode())
    return path


def load_record(path: Path) -> dict[str, Any]:
    """One record, read with a size bound.

    Raises:
        ValueError: the file cannot be read, is not JSON, or is not a sweep record (one line).
    """
    from recexplore.store.entry_format import RegistryError
    from recexplore.store.reading import read_bounded, read_problem

    try:
        record = json.loads(read_bounded(path, MAX_RECORD_BYTES))
    except (OSError, RegistryError, ValueError) as err:
        raise ValueError(f"the sweep record {path.name} cannot be read: {read_problem(err)}") from None
    if not isinstance(record, dict) or not isinstance(record.get("trials"), list) or "metric" not in record:
        raise ValueError(f"{path.name} is not a sweep record")
    record["record"] = str(path)
    return record


def list_records(folders: list[Path], fingerprint: str | None = None) -> list[dict[str, Any]]:
    """The readable records in each registry folder's `.sweeps/`, newest first; only those of the data
    set `fingerprint` when given (records from before fingerprints were kept are left out then)."""
    paths = [p for folder in folders for p in (folder / SWEEPS_FOLDER).glob("*.json") if p.is_file()]
    paths.sort(key=lambda p: p.name.rpartition("-")[2], reverse=True)  # by the stamp in the name
    records = []
    for path in paths[:MAX_LISTED]:
        try:
            record = load_record(path)
        except ValueError:
            continue  # a broken or foreign file: not a sweep to show
        if fingerprint is None or record.get("data_fingerprint") == fingerprint:
            records.append(record)
    return records
