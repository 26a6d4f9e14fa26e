"""cached_models/: atomic save, validated list, safe load and delete of trained models."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recexplore.data import sha256_file

MODELS_ENV = "RECEXPLORE_MODELS_DIR"
DEFAULT_MODELS_DIR = Path(__file__).resolve().parent.parent / "cached_models"
MODEL_FILE = "model.keras"
META_FILE = "meta.json"
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FORMAT_VERSION = 1


class RegistryError(Exception):
    """A registry problem with a one-line, user-facing explanation."""


@dataclass(frozen=True)
class Entry:
    """One folder of the registry, valid or broken."""

    name: str
    path: Path
    meta: dict[str, Any]
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """True when the entry can be loaded."""
        return self.problem is None

    @property
    def kind(self) -> str:
        """'dlrm', 'towers', or '?' for unreadable metadata."""
        return str(self.meta.get("kind", "?"))


@dataclass
class LoadedModel:
    """A model loaded from the registry with its metadata decoded."""

    name: str
    kind: str
    model: Any
    meta: dict[str, Any]

    @property
    def vocab(self) -> Any:
        """The Vocabularies the model was trained with."""
        from recexplore.features import Vocabularies

        return Vocabularies.from_dict(self.meta["vocab"])

    @property
    def config(self) -> Any:
        """The DLRMConfig or TowerConfig the model was trained with."""
        from recexplore.models.dlrm import DLRMConfig
        from recexplore.models.towers import TowerConfig

        cls = DLRMConfig if self.kind == "dlrm" else TowerConfig
        return cls.from_dict(self.meta["config"])


def models_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The registry folder: `path`, else RECEXPLORE_MODELS_DIR, else ./cached_models of the project."""
    return Path(path or os.environ.get(MODELS_ENV) or DEFAULT_MODELS_DIR)


def check_name(name: str) -> str:
    """Return `name` if it is a safe slug, else raise RegistryError."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise RegistryError(f"Invalid model name {name!r}: use 1-64 letters, digits, '-' or '_'.")
    return name


def library_versions() -> dict[str, str]:
    """Versions of the libraries a saved model depends on."""
    import keras
    import keras_rs
    import numpy

    return {"keras": keras.__version__, "keras_rs": keras_rs.__version__, "numpy": numpy.__version__,
            "backend": keras.backend.backend()}  # fmt: skip


def build_meta(result: Any, name: str) -> dict[str, Any]:
    """Metadata stored beside a TrainResult's weights."""
    return {
        "format_version": FORMAT_VERSION,
        "name": name,
        "kind": result.kind,
        "config": result.config.to_dict(),
        "vocab": result.vocab.to_dict(),
        "data_fingerprint": result.data_fingerprint,
        "split": result.split,
        "seed": result.seed,
        "metrics": result.metrics,
        "history": result.history,
        "params": result.params,
        "train_seconds": result.train_seconds,
        "device": result.device,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": library_versions(),
    }


def save(result: Any, name: str, directory: str | os.PathLike[str] | None = None, overwrite: bool = False) -> Entry:
    """Save a TrainResult atomically as `<directory>/<name>/`.

    The model and metadata are written into a hidden temporary folder, flushed, and
    then renamed into place, so a crash leaves either the old entry or the new one.

    Raises:
        RegistryError: bad name, existing entry without `overwrite`, or an I/O failure
            (the previous entry is left intact).
    """
    check_name(name)
    root = models_dir(directory)
    target = root / name
    if target.exists() and not overwrite:
        raise RegistryError(f"A model named {name!r} already exists: choose another name or overwrite it.")
    tmp = root / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir(parents=True)
        model_path = tmp / MODEL_FILE
        result.model.save(model_path)
        meta = build_meta(result, name)
        meta["model_sha256"] = sha256_file(model_path)
        _write_json(tmp / META_FILE, meta)
        _fsync_dir(tmp)
        _swap_into_place(tmp, target)
    except RegistryError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise RegistryError(f"Could not save model {name!r}: {err.strerror or err}.") from None
    return Entry(name, target, meta)


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap_into_place(tmp: Path, target: Path) -> None:
    if not target.exists():
        tmp.rename(target)
        _fsync_dir(target.parent)
        return
    trash = target.with_name(f".trash-{target.name}-{uuid.uuid4().hex[:8]}")
    target.rename(trash)
    try:
        tmp.rename(target)
    except OSError:
        trash.rename(target)  # put the old entry back
        raise
    _fsync_dir(target.parent)
    shutil.rmtree(trash, ignore_errors=True)


def inspect(path: Path) -> Entry:
    """Validate one registry folder (metadata readable, model present, sha256 matches)."""
    name = path.name
    try:
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("metadata is not an object")
    except FileNotFoundError:
        return Entry(name, path, {}, "meta.json is missing")
    except (OSError, ValueError) as err:
        return Entry(name, path, {}, f"meta.json is unreadable ({str(err).splitlines()[0][:80]})")
    for key in ("kind", "config", "vocab", "model_sha256"):
        if key not in meta:
            return Entry(name, path, meta, f"meta.json lacks {key!r}")
    if meta["kind"] not in ("dlrm", "towers"):
        return Entry(name, path, meta, f"unknown model kind {meta['kind']!r}")
    model_path = path / MODEL_FILE
    if not model_path.is_file():
        return Entry(name, path, meta, f"{MODEL_FILE} is missing")
    if sha256_file(model_path) != meta["model_sha256"]:
        return Entry(name, path, meta, f"{MODEL_FILE} does not match its recorded sha256 (truncated or modified)")
    return Entry(name, path, meta)


def list_entries(directory: str | os.PathLike[str] | None = None) -> list[Entry]:
    """Every entry of the registry, broken ones included (with their problem), by name."""
    root = models_dir(directory)
    if root.exists() and not root.is_dir():
        raise RegistryError(f"The models folder {root} is a file, not a folder: point it at a folder.")
    if not root.is_dir():
        return []
    folders = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and NAME_RE.fullmatch(p.name)]
    return [inspect(p) for p in sorted(folders)]


def load(name: str, directory: str | os.PathLike[str] | None = None) -> LoadedModel:
    """Load a validated entry with `safe_mode=True`.

    Raises:
        RegistryError: unknown name, broken entry, or a model Keras refuses to load.
    """
    import keras

    import recexplore.models.dlrm  # noqa: F401  (registers the custom classes)
    import recexplore.models.towers  # noqa: F401

    check_name(name)
    path = models_dir(directory) / name
    if not path.is_dir():
        raise RegistryError(f"No model named {name!r} in {models_dir(directory)}: run `python -m recexplore models list`.")
    entry = inspect(path)
    if not entry.ok:
        raise RegistryError(f"Model {name!r} is broken: {entry.problem}.")
    try:
        model = keras.saving.load_model(path / MODEL_FILE, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises many types for bad archives
        raise RegistryError(f"Model {name!r} could not be loaded: {str(err).splitlines()[0][:160]}") from None
    return LoadedModel(name, entry.kind, model, entry.meta)


def delete(name: str, directory: str | os.PathLike[str] | None = None) -> None:
    """Remove an entry (renamed away first, so a crash never leaves half an entry listed)."""
    check_name(name)
    path = models_dir(directory) / name
    if not path.is_dir():
        raise RegistryError(f"No model named {name!r} in {models_dir(directory)}.")
    trash = path.with_name(f".trash-{name}-{uuid.uuid4().hex[:8]}")
    path.rename(trash)
    shutil.rmtree(trash, ignore_errors=True)
