"""cached_models/: atomic save, validated list, safe load and delete of trained models.

A folder is a registry only when RecExplore made it: it carries a `.recexplore-registry`
marker (written when a save creates the folder, or adopts an empty one). An entry is a
folder holding our files and nothing else, recognised by its signed manifest
(`recexplore/store/manifest.py`); listing, loading, deleting, overwriting and the recovery sweep
touch only those, and our own hidden temporary names, inside a marked registry. Every read
is of a regular file, bounded in size, and the metadata is schema-checked
(`recexplore/store/schema.py`) before anything uses it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recexplore.data.safe_read import SymlinkRefused, UnsafeFile, read_at, read_path
from recexplore.families import family, load_classes
from recexplore.store import manifest
from recexplore.store import schema as meta_schema
from recexplore.store.manifest import MANIFEST_FILE, ManifestError

MODELS_ENV = "RECEXPLORE_MODELS_DIR"
DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[2] / "cached_models"
MODEL_FILE = "model.keras"
META_FILE = "meta.json"
ENTRY_FILES = (META_FILE, MODEL_FILE)  # what the manifest signs
OWN_FILES = frozenset({*ENTRY_FILES, MANIFEST_FILE})  # an entry folder holds these and nothing else
MARKER_FILE = ".recexplore-registry"
WORKSPACES_FOLDER = ".workspaces"  # the app's per-workspace registries, inside the shared one by default
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
FORMAT_VERSION = 2
# Read limits: a model file, its metadata and its manifest (regular files only, never more).
MAX_MODEL_BYTES = 256 << 20
MAX_META_BYTES = 8 << 20
MAX_MANIFEST_BYTES = 64 << 10
# Hidden folders of the registry. A save writes into TMP, and an overwrite parks the old entry
# as TRASH while the new one is renamed into place; a delete parks the entry as DELETED.
TMP, TRASH, DELETED = ".tmp-", ".trash-", ".deleted-"
LISTING_CACHE_SIZE = 1024  # verified entries remembered by their files' stat (see `_listing_key`)
LISTING_SETTLE_S = 2.0  # files changed this recently are re-read: a same-size edit within one clock tick
READ_LOCK_WAIT_S = 10.0  # a reader waits this long for a writer to finish, then reads without the lock
_LISTING: dict[str, tuple[tuple[Any, ...], Entry]] = {}
_LISTING_LOCK = threading.Lock()
SYMLINK_PROBLEM = "it is a symbolic link (models load only from files inside the registry folder)"

try:  # POSIX advisory locks; elsewhere saves from two processes at once are not serialised
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class RegistryError(Exception):
    """A registry problem with a one-line, user-facing explanation."""


@dataclass(frozen=True)
class Entry:
    """One folder of the registry, valid or broken."""

    name: str
    path: Path
    meta: dict[str, Any]
    problem: str | None = None
    digest: str = ""  # the manifest's digest: identifies this exact save (cache key)

    @property
    def ok(self) -> bool:
        """True when the entry can be loaded."""
        return self.problem is None

    @property
    def kind(self) -> str:
        """The model family ('dlrm', 'dcn', 'towers', ...), or '?' for unreadable metadata."""
        return str(self.meta.get("kind", "?"))


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
    return _save_with(lambda path: _write_file(path, model_bytes), stamped, name, directory, overwrite)


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
        with _locked(root):
            if target.is_symlink() or (target.exists() and not _is_entry_folder(target)):
                raise RegistryError(
                    f"{target} exists and is not a saved model: move it away before saving as {name!r}."
                )
            if _folder_of(root, name) is not None and not overwrite:
                raise RegistryError(f"A model named {name!r} already exists: choose another name or overwrite it.")
            tmp.mkdir()
            write_model(tmp / MODEL_FILE)
            model_bytes = _read_bounded(tmp / MODEL_FILE, MAX_MODEL_BYTES)
            meta = meta_schema.check(make_meta())  # our own metadata must pass the reader's checks
            meta_bytes = json.dumps(meta, indent=1, sort_keys=True).encode("utf-8")
            _write_file(tmp / META_FILE, meta_bytes)
            signed = manifest.build({META_FILE: meta_bytes, MODEL_FILE: model_bytes})
            _write_file(tmp / MANIFEST_FILE, json.dumps(signed, indent=1, sort_keys=True).encode("utf-8"))
            _fsync_dir(tmp)
            _swap_into_place(tmp, target)
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
        _write_file(marker, json.dumps({"format": FORMAT_VERSION, "what": "RecExplore models folder"}).encode())
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


def _write_file(path: Path, payload: bytes) -> None:
    """Write and flush a new file (an existing one is refused: our folders are fresh)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def _save_model(model: Any, path: Path) -> None:
    """model.save, with any failure of Keras' writer reported as an OSError."""
    try:
        model.save(path)
    except OSError:
        raise
    except Exception as err:  # Keras and h5py wrap some I/O errors in their own types
        raise OSError(str(err).splitlines()[0][:160] if str(err) else type(err).__name__) from None


def recover(directory: str | os.PathLike[str] | None = None) -> None:
    """Finish what a killed save or delete left behind (saves and deletes do this first)."""
    root = models_dir(directory)
    if open_registry(root, create=False):
        with _locked(root):
            pass


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Hold the registry's write lock (a lock on the folder itself), finishing interrupted work first."""
    fd = os.open(root, os.O_RDONLY)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd is closed
        _recover(root)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def _read_locked(root: Path) -> Iterator[None]:
    """Hold the registry's lock shared, so no writer is midway through a swap while a reader
    looks up names (an overwrite briefly has the entry only under its TRASH name, and a
    lock-free directory scan racing several writers can miss both names).

    Waits at most READ_LOCK_WAIT_S for a writer; after that (a stuck writer) it reads
    without the lock, as readers of a registry on a file system without locks always do.
    """
    try:
        fd = os.open(root, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        deadline = time.monotonic() + READ_LOCK_WAIT_S
        while fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # released when fd is closed
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            except OSError:
                break  # a file system without locks
        yield
    finally:
        os.close(fd)


def _recover(root: Path) -> None:
    """Finish what a killed writer left: restore parked entries, remove partial ones.

    Called with the lock held, so no other writer is in the middle of a save.
    """
    for hidden in sorted(root.iterdir()):
        if (
            not hidden.name.startswith((TMP, TRASH, DELETED))
            or hidden.is_symlink()
            or not hidden.is_dir()
            or not _is_entry_folder(hidden, allow_partial=True)
        ):
            continue  # only our own folders, under our own hidden names, are ever touched
        if _hidden_name(hidden.name, TRASH) is not None:
            name = _hidden_name(hidden.name, TRASH)
            if not (root / name).exists():
                hidden.rename(root / name)  # the overwrite never got its new entry in place
                continue
            shutil.rmtree(hidden, ignore_errors=True)
        elif _hidden_name(hidden.name, TMP) is not None or _hidden_name(hidden.name, DELETED) is not None:
            shutil.rmtree(hidden, ignore_errors=True)


def _hidden_name(folder: str, prefix: str) -> str | None:
    """The entry name in '<prefix><name>-<8 hex>', or None for anything else."""
    match = re.fullmatch(re.escape(prefix) + r"([A-Za-z0-9_-]{1,64})-[0-9a-f]{8}", folder)
    return match.group(1) if match else None


def _is_entry_folder(path: Path, allow_partial: bool = False) -> bool:
    """True for a folder holding our entry files and nothing else: the manifest (a partial save,
    with `allow_partial`, may not have written it yet; an empty one qualifies then too)."""
    try:
        names = {p.name for p in path.iterdir()}
    except OSError:
        return False
    if not names <= OWN_FILES:
        return False
    return allow_partial or MANIFEST_FILE in names or names == set(ENTRY_FILES)  # the last: a pre-manifest save


def _folder_of(root: Path, name: str) -> Path | None:
    """The folder holding entry `name`: its own, or the old entry an interrupted overwrite parked."""
    target = root / name
    if target.is_dir() and not target.is_symlink() and _is_entry_folder(target):
        return target
    parked = sorted(
        p
        for p in root.glob(f"{TRASH}{name}-*")
        if _hidden_name(p.name, TRASH) == name and not p.is_symlink() and _is_entry_folder(p)
    )
    if parked:
        return parked[-1]
    # the overwrite may have finished meanwhile
    return target if target.is_dir() and not target.is_symlink() and _is_entry_folder(target) else None


def _fsync_dir(path: Path) -> None:
    """Flush a folder's entries to disk; best effort (some file systems refuse)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _swap_into_place(tmp: Path, target: Path) -> None:
    if not target.exists():
        tmp.rename(target)
        _fsync_dir(target.parent)
        return
    trash = target.with_name(f"{TRASH}{target.name}-{uuid.uuid4().hex[:8]}")
    target.rename(trash)
    try:
        tmp.rename(target)
    except OSError:
        trash.rename(target)  # put the old entry back
        raise
    _fsync_dir(target.parent)
    _discard(trash)


def _discard(folder: Path) -> None:
    """Remove a hidden folder: renamed to DELETED first, so no reader takes it for an entry."""
    name = _hidden_name(folder.name, TRASH) or folder.name
    gone = folder.with_name(f"{DELETED}{name}-{uuid.uuid4().hex[:8]}")
    try:
        folder.rename(gone)
    except OSError:
        return  # left for the next writer's recovery
    shutil.rmtree(gone, ignore_errors=True)


def inspect(path: Path, name: str | None = None) -> Entry:
    """Validate one registry folder (metadata readable, model present, sha256 matches).

    `name` is the entry's name when `path` is an old entry parked by an interrupted overwrite.
    """
    entry = _read_entry(path, name or path.name, keep_model=False)[0]
    return entry if entry is not None else Entry(name or path.name, path, {}, "the folder is gone")


def _read_entry(path: Path, name: str, keep_model: bool) -> tuple[Entry | None, bytes | None]:
    """Validate a folder, reading both files through one open handle on the folder.

    A concurrent overwrite renames folders, never edits them, so the metadata and the model
    come from the same save. With `keep_model`, the model bytes that were hashed are returned,
    and those exact bytes are what gets loaded (no window between the check and the load).
    (None, None) when the folder was renamed away before or while it was read.
    """
    if path.is_symlink():
        return Entry(name, path, {}, SYMLINK_PROBLEM), None
    try:
        folder = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except FileNotFoundError:
        return None, None
    except OSError as err:
        return Entry(name, path, {}, f"the folder cannot be read ({err.strerror or err})"), None
    try:
        key = None if keep_model else _listing_key(folder)
        with _LISTING_LOCK:
            cached = _LISTING.get(str(path)) if key is not None else None
        if cached is not None and cached[0] == key:
            return cached[1], None
        entry, model = _read_files(folder, path, name)
        if not entry.ok and not _still_at(path, folder):
            return None, None  # renamed away while we read it: not a verdict on the entry
        if key is not None:
            with _LISTING_LOCK:
                _LISTING[str(path)] = (key, entry)
                while len(_LISTING) > LISTING_CACHE_SIZE:
                    _LISTING.pop(next(iter(_LISTING)))
    finally:
        os.close(folder)
    return entry, model if keep_model else None


def _listing_key(folder: int) -> tuple[Any, ...] | None:
    """What a listing's verdict on an open entry folder depends on: the (device, inode, size,
    mtime, ctime) of the folder and its three files, and the trust in force (the registry key
    and the pinned shipped digests). None (read the files) when a file changed in the last
    LISTING_SETTLE_S seconds or cannot be stat'ed. A load never uses this: it re-hashes."""
    try:
        stamps = [os.fstat(folder)]
        stamps += [os.stat(f, dir_fd=folder, follow_symlinks=False) for f in (MANIFEST_FILE, META_FILE, MODEL_FILE)]
    except OSError:
        return None
    if time.time() - max(s.st_ctime for s in stamps) < LISTING_SETTLE_S:
        return None
    files = tuple((s.st_dev, s.st_ino, s.st_size, s.st_mtime_ns, s.st_ctime_ns, s.st_mode) for s in stamps)
    return files, manifest.trust_stamp()


def _still_at(path: Path, folder: int) -> bool:
    """True when `path` still names the open folder."""
    try:
        return os.stat(path).st_ino == os.fstat(folder).st_ino
    except OSError:
        return False


def _read_files(folder: int, path: Path, name: str) -> tuple[Entry, bytes | None]:
    """Check the manifest, meta.json and model.keras of an open folder; the model's bytes when valid."""
    contents: dict[str, bytes] = {}
    try:
        listed = manifest.parse(read_at(folder, MANIFEST_FILE, MAX_MANIFEST_BYTES), ENTRY_FILES)
        contents[META_FILE] = read_at(folder, META_FILE, MAX_META_BYTES)
        contents[MODEL_FILE] = read_at(folder, MODEL_FILE, MAX_MODEL_BYTES)
    except FileNotFoundError as err:
        missing = Path(err.filename or MANIFEST_FILE).name if err.filename else MANIFEST_FILE
        why = (
            f"{missing} is missing"
            if missing != MANIFEST_FILE or contents
            else f"{MANIFEST_FILE} is missing (saved by an older RecExplore, or not ours): save it again"
        )
        return Entry(name, path, {}, why), None
    except SymlinkRefused:
        return Entry(name, path, {}, SYMLINK_PROBLEM), None
    except (OSError, ManifestError, UnsafeFile) as err:
        return Entry(name, path, {}, _one_line(err)), None
    try:
        digest = manifest.verify(listed, contents)
    except ManifestError as err:
        return Entry(name, path, {}, str(err)), None
    try:
        meta = meta_schema.check(json.loads(contents[META_FILE].decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        problem = str(err) if isinstance(err, meta_schema.MetaError) else "meta.json is not valid JSON"
        return Entry(name, path, {}, problem), None
    return Entry(name, path, meta, digest=digest), contents[MODEL_FILE]


def _one_line(err: BaseException) -> str:
    if isinstance(err, OSError) and err.strerror:
        return f"{Path(err.filename).name if err.filename else 'a file'} cannot be read ({err.strerror})"
    return str(err).splitlines()[0][:160] if str(err) else type(err).__name__


def _read_bounded(path: Path, limit: int) -> bytes:
    """A regular file's bytes (at most `limit`), by path."""
    try:
        return read_path(path, limit)
    except UnsafeFile as err:
        raise RegistryError(str(err)) from None


def list_entries(directory: str | os.PathLike[str] | None = None) -> list[Entry]:
    """Every entry of the registry, broken ones included (with their problem), by name."""
    root = models_dir(directory)
    if not open_registry(root, create=False):
        return []
    with _read_locked(root):
        names = {p.name for p in root.iterdir() if NAME_RE.fullmatch(p.name)}
        names |= {n for p in root.glob(f"{TRASH}*") if (n := _hidden_name(p.name, TRASH)) is not None}
        entries = [_resolve(root, name, keep_model=False)[0] for name in sorted(names)]
    return [e for e in entries if e is not None]


def has_entry(name: str, directory: str | os.PathLike[str] | None = None) -> bool:
    """True when an entry (valid or broken) is saved under `name`."""
    root = models_dir(directory)
    if not open_registry(root, create=False):
        return False
    with _read_locked(root):
        return _folder_of(root, check_name(name)) is not None


def _resolve(root: Path, name: str, keep_model: bool) -> tuple[Entry | None, bytes | None]:
    """Find and read entry `name`, looking again when a concurrent writer moved it meanwhile."""
    target = root / name
    for _ in range(20):
        if target.exists() and not target.is_dir() and not target.is_symlink():
            return None, None  # a stray file, not an entry
        folder = _folder_of(root, name)
        if folder is None:
            return (inspect(target), None) if target.is_symlink() else (None, None)
        entry, model = _read_entry(folder, name, keep_model)
        if entry is not None:
            return entry, model
    return Entry(name, target, {}, "it kept changing while being read"), None


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
        with _read_locked(root):
            entry, model_bytes = _resolve(root, name, keep_model=True)
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
        raise RegistryError(f"Model {name!r} could not be loaded: {str(err).splitlines()[0][:160]}") from None
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
        raise RegistryError(f"Model {loaded.name!r} is broken: {_one_line(err)}.") from None
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
        with _locked(root) if open_registry(root, create=False) else contextlib.nullcontext():
            path = root / name
            if not path.is_dir() or path.is_symlink() or not _is_entry_folder(path):
                raise RegistryError(f"No model named {name!r} in {root}.")
            gone = root / f"{DELETED}{name}-{uuid.uuid4().hex[:8]}"
            path.rename(gone)
            _fsync_dir(root)
            shutil.rmtree(gone, ignore_errors=True)
    except OSError as err:
        raise RegistryError(f"Could not delete model {name!r}: {err.strerror or err}.") from None
