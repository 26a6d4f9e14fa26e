"""Presets kept for one data set: a sweep's best settings under a name, keyed by the data's fingerprint.

A sweep tuned on one data set proves nothing on another, so a kept preset belongs to the data set it
was tuned on (`MovieLens.fingerprint`) and is offered only there: first on the Train page, by
`train --preset NAME`, and when a data set is prepared in one click. The built-in and pretrained
presets stay as they are; a kept name may not shadow a built-in one.

One file per preset, `<models dir>/.presets/<fingerprint>/<family>-<name>.json`, written atomically:
keeping two presets at once never loses one, and keeping a name again replaces it. A file that
cannot be read or does not hold a valid config is skipped (the listing names its problem).
"""

from __future__ import annotations

import json
import math
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from recexplore.config.text import one_line

PRESETS_FOLDER = ".presets"  # beside the models, hidden from the registry's listing (as `.sweeps`)
MAX_PRESET_BYTES = 64 << 10
NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,40}")
FINGERPRINT_RE = re.compile(r"[A-Za-z0-9_-]{1,128}")


class PresetError(ValueError):
    """A preset that cannot be kept (a bad name, a record without a best trial); one line."""


@dataclass(frozen=True)
class DataPreset:
    """A kept preset: the settings on top of the family's `base` preset, and where they came from.

    Attributes:
        name: its name (offered beside the family's built-in presets).
        kind: the family.
        fingerprint: the data set it was tuned on.
        base: the built-in preset the sweep started from.
        settings: the swept and fixed settings, on top of `base`.
        metric, validation: the sweep's metric and the best trial's value on the validation slice.
        tested: the best settings' and the base preset's test metrics, when the sweep tested them.
        kept_at: when it was kept (UTC, ISO 8601).
        source: the sweep record it was kept from.
    """

    name: str
    kind: str
    fingerprint: str
    base: str | None
    settings: dict[str, Any]
    metric: str = ""
    validation: float | None = None
    tested: dict[str, dict[str, float]] = field(default_factory=dict)
    kept_at: str = ""
    source: str = ""

    def config(self) -> Any:
        """The family config these settings make (ValueError when they no longer make one)."""
        from recexplore.families import family

        return family(self.kind).make_config(self.base, **self.settings)

    def label(self) -> str:
        """'tuned-1 (tuned on this data set: hit_rate_at_10 0.1045 on validation)'."""
        shown = f": {self.metric} {self.validation:.4f} on validation" if self.validation is not None else ""
        return f"{self.name} (tuned on this data set{shown})"


def check_preset_name(kind: str, name: str) -> str:
    """`name` if it can name a kept preset of `kind`, else PresetError in one line."""
    from recexplore.families import family

    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise PresetError(f"a preset name is 1-40 letters, digits, '-' or '_', got {name!r}")
    if name in family(kind).presets:
        raise PresetError(f"{name!r} is one of {kind}'s built-in presets: choose another name")
    return name


def keep_preset(record: Mapping[str, Any], name: str, models_dir: str | Path | None = None) -> Path:
    """Keep a sweep record's best settings as preset `name` for the record's data set; the file's path.

    Raises:
        PresetError: a bad name, or a record without a best trial or a data fingerprint.
        ValueError: the best settings no longer make a valid config.
    """
    from recexplore.store.atomic import write_file
    from recexplore.store.registry import models_dir as registry_dir
    from recexplore.store.registry import open_registry

    kind = str(record.get("kind", ""))
    check_preset_name(kind, name)
    best = record.get("best") or {}
    fingerprint = str(record.get("data_fingerprint", ""))
    if not best.get("settings"):
        raise PresetError("the sweep has no finished trial to keep")
    if not FINGERPRINT_RE.fullmatch(fingerprint):
        raise PresetError("the sweep record does not name the data set it was tuned on")
    preset = DataPreset(
        name=name,
        kind=kind,
        fingerprint=fingerprint,
        base=record.get("preset"),
        settings={**record.get("fixed", {}), **best["settings"]},
        metric=str(record.get("metric", "")),
        validation=best.get("validation"),
        tested=dict(record.get("tested") or {}),
        kept_at=datetime.now(timezone.utc).isoformat(timespec="microseconds"),
        source=str(record.get("record", "")),
    )
    preset.config()  # refuse settings that make no config before writing anything
    root = registry_dir(models_dir)
    open_registry(root, create=True)
    folder = root / PRESETS_FOLDER / fingerprint
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}-{name}.json"
    scratch = folder / f".{path.name}.{uuid.uuid4().hex[:8]}"
    write_file(scratch, json.dumps(preset.__dict__, indent=1, default=str).encode())
    os.replace(scratch, path)  # whole or not at all; keeping the name again replaces it
    return path


def presets_for(kind: str, fingerprint: str, models_dirs: Iterable[str | Path | None]) -> list[DataPreset]:
    """The presets kept for `kind` on the data set `fingerprint` in any of `models_dirs`, newest first
    (a name kept in two folders: the first folder's)."""
    found: dict[str, DataPreset] = {}
    for folder in models_dirs:
        for preset in _read_folder(folder, kind, fingerprint):
            found.setdefault(preset.name, preset)
    return sorted(found.values(), key=lambda p: p.kept_at, reverse=True)


def find_preset(kind: str, fingerprint: str, name: str, models_dirs: Iterable[str | Path | None]) -> DataPreset | None:
    """The kept preset `name` of `kind` for this data set, or None."""
    return next((p for p in presets_for(kind, fingerprint, models_dirs) if p.name == name), None)


def preset_problems(kind: str, fingerprint: str, models_dirs: Iterable[str | Path | None]) -> list[str]:
    """One line per kept preset file of `kind` for this data set that cannot be offered."""
    problems = []
    for folder in models_dirs:
        for path in _files(folder, kind, fingerprint):
            try:
                _read(path, kind, fingerprint)
            except (OSError, ValueError, TypeError, KeyError) as err:
                problems.append(f"{path.name}: {one_line(err)}")
    return problems


def _files(models_dir: str | Path | None, kind: str, fingerprint: str) -> list[Path]:
    from recexplore.store.registry import models_dir as registry_dir

    if not FINGERPRINT_RE.fullmatch(fingerprint or ""):
        return []
    folder = registry_dir(models_dir) / PRESETS_FOLDER / fingerprint
    try:
        return sorted(p for p in folder.glob(f"{kind}-*.json") if p.is_file() and not p.is_symlink())
    except OSError:
        return []


def _read_folder(models_dir: str | Path | None, kind: str, fingerprint: str) -> list[DataPreset]:
    presets = []
    for path in _files(models_dir, kind, fingerprint):
        try:
            presets.append(_read(path, kind, fingerprint))
        except (OSError, ValueError, TypeError, KeyError):
            continue  # `preset_problems` names it
    return presets


def _read(path: Path, kind: str, fingerprint: str) -> DataPreset:
    """One kept preset, checked: its family, data set and name match its place, and it makes a config."""
    from recexplore.store.reading import read_bounded

    payload = json.loads(read_bounded(path, MAX_PRESET_BYTES))
    if not isinstance(payload, dict) or not isinstance(payload.get("settings"), dict):
        raise ValueError("not a kept preset")
    validation = payload.get("validation")
    preset = DataPreset(
        name=str(payload["name"]),
        kind=str(payload["kind"]),
        fingerprint=str(payload["fingerprint"]),
        base=payload.get("base") if isinstance(payload.get("base"), str) else None,
        settings=payload["settings"],
        metric=str(payload.get("metric", "")),
        validation=float(validation) if isinstance(validation, (int, float)) and math.isfinite(validation) else None,
        tested=payload.get("tested") if isinstance(payload.get("tested"), dict) else {},
        kept_at=str(payload.get("kept_at", "")),
        source=str(payload.get("source", "")),
    )
    if (preset.kind, preset.fingerprint) != (kind, fingerprint) or path.name != f"{kind}-{preset.name}.json":
        raise ValueError("its family, data set or name does not match where it is kept")
    check_preset_name(kind, preset.name)
    preset.config()
    return preset
