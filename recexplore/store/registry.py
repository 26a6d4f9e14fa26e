"""The model registry's operations: save, list, load and delete trained models in a models folder.

A folder is a registry only when RecExplore made it: it carries a `.recexplore-registry`
marker (written when a save creates the folder, or adopts an empty one). An entry is a
folder holding our files and nothing else (`recexplore/store/entry_format.py`), recognised by its
signed manifest (`recexplore/store/manifest.py`); listing, loading, deleting, overwriting and
the recovery sweep (`recexplore/store/atomic.py`) touch only those, and our own hidden
temporary names, inside a marked registry. Every read is of a regular file, bounded in size,
and the metadata is schema-checked (`recexplore/store/schema.py`) before anything uses it
(`recexplore/store/reading.py`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recexplore.config.text import one_line
from recexplore.families import family, load_classes
from recexplore.store import atomic, manifest, reading
from recexplore.store import schema as meta_schema
from recexplore.store.entry_format import (
    DELETED,
    FORMAT_VERSION,
    MARKER_FILE,
    MAX_MODEL_BYTES,
    META_FILE,
    MODEL_FILE,
    NAME_RE,
    TMP,
    TRASH,
    WORKSPACES_FOLDER,
    Entry,
    RegistryError,
    check_name,
    folder_of,
    hidden_name,
    is_entry_folder,
)
from recexplore.store.manifest import MANIFEST_FILE, ManifestError

MODELS_ENV = "RECEXPLORE_MODELS_DIR"
DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[2] / "cached_models"


@dataclass
class LoadedModel:
    """A model loaded from the registry with its metadata decoded."""

    name: str
    kind: str
    model: Any
    meta: dict[str, Any]
    digest: str = ""

    @property
    def vocab(self) -> Any:
        """The Vocabularies the model was trained with."""
        from recexplore.data.features import Vocabularies

        return Vocabularies.from_dict(self.meta["vocab"])

    @property
    def config(self) -> Any:
        """The family's config the model was trained with (an unknown key refused by name)."""
        return family(self.kind).config.from_saved(self.meta["config"])


def models_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The registry folder: `path`, else RECEXPLORE_MODELS_DIR, else ./cached_models of the project."""
    return Path(path or os.environ.get(MODELS_ENV) or DEFAULT_MODELS_DIR).expanduser()


def library_versions() -> dict[str, str]:
    """Versions of the libraries a saved model depends on."""
    import keras
    import keras_rs
    import numpy

    return {
        "keras": keras.__version__,
        "keras_rs": keras_rs.__version__,
        "numpy": numpy.__version__,
        "backend": keras.backend.backend(),
    }


def build_meta(result: Any, name: str) -> dict[str, Any]:
    """Metadata stored beside a TrainResult's weights."""
    return {
        "format_version": FORMAT_VERSION,
        "name": name,
        "kind": result.kind,
        "config": result.config.to_dict(),
        "vocab": result.vocab.to_dict(),
        "data_fingerprint": result.data_fingerprint,
        "dataset": result.dataset,
        "split": result.split,
        "seed": result.seed,
        "metrics": result.metrics,
        "history": result.history,
        "params": result.params,
        "train_seconds": result.train_seconds,
        "device": result.device,
        "created": _now(),
        "versions": library_versions(),
    }


def save(result: Any, name: str, directory: str | os.PathLike[str] | None = None, overwrite: bool = False) -> Entry:
    """Save a TrainResult atomically as `<directory>/<name>/`.

    The model and metadata are written into a hidden temporary folder, flushed, and then
    renamed into place under the registry lock. A process killed at any point leaves either
    the old entry or the new one: an old entry parked by an interrupted overwrite is what
    readers see (and the next save or delete puts it back), and hidden leftovers are never
    listed.

    Raises:
        RegistryError: bad name, existing entry without `overwrite`, or a failure while
            writing (disk full, permission denied, ...); the previous entry is left intact.
    """
    return _save_with(
        lambda path: _save_model(result.model, path), lambda: build_meta(result, name), name, directory, overwrite
    )


def save_payload(
    model_bytes: bytes,
    meta: dict[str, Any],
    name: str,
    directory: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
) -> Entry:
    """Save a model trained elsewhere (a worker): its `.keras` bytes and its `build_meta` metadata.

    Same guarantees and errors as `save`; the name and the creation time are this save's.
    """
    if not isinstance(model_bytes, bytes) or not model_bytes:
        raise RegistryError(f"Could not save model {name!r}: the trained model's bytes are missing.")
    stamped = lambda: {**meta, "name": name, "created": _now()}  # noqa: E731
    return _save_with(lambda path: atomic.write_file(path, model_bytes), stamped, name, directory, overwrite)


def _save_with(
    write_model: Callable[[Path], None],
    make_meta: Callable[[], dict[str, Any]],
    name: str,
    directory: str | os.PathLike[str] | None,
    overwrite: bool,
) -> Entry:
    check_name(name)
    root = models_dir(directory)
    target = root / name
    tmp = root / f"{TMP}{name}-{uuid.uuid4().hex[:8]}"
    try:
        open_registry(root, create=True)
        with atomic.locked(root):
            if target.is_symlink() or (target.exists() and not is_entry_folder(target)):
                raise RegistryError(
                    f"{target} exists and is not a saved model: move it away before saving as {name!r}."
                )
            if folder_of(root, name) is not None and not overwrite:
                raise RegistryError(f"A model named {name!r} already exists: choose another name or overwrite it.")
            tmp.mkdir()
            write_model(tmp / MODEL_FILE)
            model_bytes = reading.read_bounded(tmp / MODEL_FILE, MAX_MODEL_BYTES)
            meta = meta_schema.check(make_meta())  # our own metadata must pass the reader's checks
            meta_bytes = json.dumps(meta, indent=1, sort_keys=True).encode("utf-8")
            atomic.write_file(tmp / META_FILE, meta_bytes)
            signed = manifest.build({META_FILE: meta_bytes, MODEL_FILE: model_bytes})
            atomic.write_file(tmp / MANIFEST_FILE, json.dumps(signed, indent=1, sort_keys=True).encode("utf-8"))
            atomic.fsync_dir(tmp)
            atomic.swap_into_place(tmp, target)
    except (RegistryError, ManifestError, meta_schema.MetaError) as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, RegistryError):
            raise
        raise RegistryError(f"Could not save model {name!r}: {err}.") from None
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise RegistryError(f"Could not save model {name!r}: {err.strerror or err}.") from None
    return Entry(name, target, meta, digest=manifest.digest(signed["files"]))


def open_registry(root: Path, create: bool) -> bool:
    """Whether `root` is a registry (False: it does not exist, or is an empty folder, and `create` is off).

    With `create`, a missing folder is made and an empty one adopted, with the marker.

    Raises:
        RegistryError: `root` is a file, or a folder with content that RecExplore did not make.
    """
    if root.is_symlink() and not root.is_dir():
        raise RegistryError(f"The models folder {root} is a broken link: point it at a folder.")
    if root.exists() and not root.is_dir():
        raise RegistryError(f"The models folder {root} is a file, not a folder: point it at a folder.")
    marker = root / MARKER_FILE
    if root.is_dir() and marker.is_file() and not marker.is_symlink():
        return True
    if root.is_dir() and any(p.name != WORKSPACES_FOLDER for p in root.iterdir()):
        raise RegistryError(
            f"{root} is not a RecExplore models folder (it has no {MARKER_FILE} marker): point at a models "
            "folder, or at a new or empty one."
        )
    if not create:
        return False
    try:
        root.mkdir(parents=True, exist_ok=True)
        atomic.write_file(marker, json.dumps({"format": FORMAT_VERSION, "what": "RecExplore models folder"}).encode())
    except OSError as err:
        raise RegistryError(f"Cannot create the models folder {root}: {err.strerror or err}.") from None
    return True


def writable_problem(directory: str | os.PathLike[str] | None, need_bytes: int = 64 << 20) -> str | None:
    """Why a save into `directory` would fail now (not a registry, read-only, disk nearly full), or None.

    Checked before training starts, so a long job is not thrown away at the end.
    """
    root = models_dir(directory)
    try:
        exists = open_registry(root, create=False)
    except RegistryError as err:
        return str(err)
    probe = root if exists or root.is_dir() else next((p for p in root.parents if p.exists()), None)
    if probe is None or not probe.is_dir():
        return f"The models folder {root} cannot be created: none of its parent folders exists."
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"The models folder {root} is not writable: choose another with --models-dir or {MODELS_ENV}."
    free = shutil.disk_usage(probe).free
    if free < need_bytes:
        return f"The disk of {root} has only {free >> 20} MiB free; a save needs about {need_bytes >> 20} MiB."
    return None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _save_model(model: Any, path: Path) -> None:
    """model.save, with any failure of Keras' writer reported as an OSError."""
    try:
        model.save(path)
    except OSError:
        raise
    except Exception as err:  # Keras and h5py wrap some I/O errors in their own types
        raise OSError(one_line(err)) from None


def recover(directory: str | os.PathLike[str] | None = None) -> None:
    """Finish what a killed save or delete left behind (saves and deletes do this first)."""
    root = models_dir(directory)
    if open_registry(root, create=False):
        with atomic.locked(root):
            pass


def list_entries(directory: str | os.PathLike[str] | None = None) -> list[Entry]:
    """Every entry of the registry, broken ones included (with their problem), by name."""
    root = models_dir(directory)
    if not open_registry(root, create=False):
        return []
    with atomic.read_locked(root):
        names = {p.name for p in root.iterdir() if NAME_RE.fullmatch(p.name)}
        names |= {n for p in root.glob(f"{TRASH}*") if (n := hidden_name(p.name, TRASH)) is not None}
        entries = [reading.resolve(root, name, keep_model=False)[0] for name in sorted(names)]
    return [e for e in entries if e is not None]


def has_entry(name: str, directory: str | os.PathLike[str] | None = None) -> bool:
    """True when an entry (valid or broken) is saved under `name`."""
    root = models_dir(directory)
    if not open_registry(root, create=False):
        return False
    with atomic.read_locked(root):
        return folder_of(root, check_name(name)) is not None


def load(name: str, directory: str | os.PathLike[str] | None = None) -> LoadedModel:
    """Load a validated entry with `safe_mode=True`.

    Raises:
        RegistryError: unknown name, broken entry, or a model Keras refuses to load.
    """
    import keras

    load_classes()  # every family's module: registers the custom classes

    check_name(name)
    root = models_dir(directory)
    entry, model_bytes = None, None
    if open_registry(root, create=False):
        with atomic.read_locked(root):
            entry, model_bytes = reading.resolve(root, name, keep_model=True)
    if entry is None:
        raise RegistryError(
            f"No model named {name!r} in {models_dir(directory)}: run `python -m recexplore models list`."
        )
    if not entry.ok or model_bytes is None:
        raise RegistryError(f"Model {name!r} is broken: {entry.problem}.")
    try:
        with tempfile.TemporaryDirectory(prefix="recexplore-load-") as scratch:
            checked = Path(scratch) / MODEL_FILE
            checked.write_bytes(model_bytes)
            model = keras.saving.load_model(checked, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises many types for bad archives; OSError for the scratch copy
        raise RegistryError(f"Model {name!r} could not be loaded: {one_line(err)}") from None
    loaded = LoadedModel(name, entry.kind, model, entry.meta, entry.digest)
    _check_matches(loaded)
    return loaded


def _check_matches(loaded: LoadedModel) -> None:
    """The model is of its recorded kind, its config is valid, and its tables fit its vocabularies."""
    expected = family(loaded.kind).model_class
    if type(loaded.model) is not expected:  # exactly: the DCN and the DLRM share a base class
        raise RegistryError(
            f"Model {loaded.name!r} is broken: meta.json says {loaded.kind}, the file holds a "
            f"{type(loaded.model).__name__}."
        )
    try:
        loaded.config  # noqa: B018 - validates the recorded config
        sizes = loaded.vocab.sizes()
    except (TypeError, ValueError) as err:
        raise RegistryError(f"Model {loaded.name!r} is broken: {reading.read_problem(err)}.") from None
    tables = getattr(loaded.model, "vocab_sizes", {})
    wrong = sorted(k for k in tables if k in sizes and int(tables[k]) != sizes[k])
    if wrong:
        raise RegistryError(
            f"Model {loaded.name!r} is broken: its {wrong[0]} table has {tables[wrong[0]]} rows, its "
            f"vocabulary {sizes[wrong[0]]}."
        )


def delete(name: str, directory: str | os.PathLike[str] | None = None) -> None:
    """Remove an entry (renamed away first, so a crash never leaves half an entry listed)."""
    check_name(name)
    root = models_dir(directory)
    try:
        with atomic.locked(root) if open_registry(root, create=False) else contextlib.nullcontext():
            path = root / name
            if not path.is_dir() or path.is_symlink() or not is_entry_folder(path):
                raise RegistryError(f"No model named {name!r} in {root}.")
            gone = root / f"{DELETED}{name}-{uuid.uuid4().hex[:8]}"
            path.rename(gone)
            atomic.fsync_dir(root)
            shutil.rmtree(gone, ignore_errors=True)
    except OSError as err:
        raise RegistryError(f"Could not delete model {name!r}: {err.strerror or err}.") from None
