"""Reading registry entries: bounded reads, manifest and schema checks, and the listing's cache."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from recexplore.config.text import one_line
from recexplore.data.safe_read import SymlinkRefused, UnsafeFile, read_at, read_path
from recexplore.store import manifest
from recexplore.store import schema as meta_schema
from recexplore.store.entry_format import (
    ENTRY_FILES,
    MAX_MANIFEST_BYTES,
    MAX_META_BYTES,
    MAX_MODEL_BYTES,
    META_FILE,
    MODEL_FILE,
    Entry,
    RegistryError,
    folder_of,
)
from recexplore.store.manifest import MANIFEST_FILE, ManifestError

LISTING_CACHE_SIZE = 1024  # verified entries remembered by their files' stat (see `_listing_key`)
LISTING_SETTLE_S = 2.0  # files changed this recently are re-read: a same-size edit within one clock tick
_LISTING: dict[str, tuple[tuple[Any, ...], Entry]] = {}
_LISTING_LOCK = threading.Lock()
SYMLINK_PROBLEM = "it is a symbolic link (models load only from files inside the registry folder)"


def inspect(path: Path, name: str | None = None) -> Entry:
    """Validate one registry folder (metadata readable, model present, sha256 matches).

    `name` is the entry's name when `path` is an old entry parked by an interrupted overwrite.
    """
    entry = _read_entry(path, name or path.name, keep_model=False)[0]
    return entry if entry is not None else Entry(name or path.name, path, {}, "the folder is gone")


def resolve(root: Path, name: str, keep_model: bool) -> tuple[Entry | None, bytes | None]:
    """Find and read entry `name`, looking again when a concurrent writer moved it meanwhile."""
    target = root / name
    for _ in range(20):
        if target.exists() and not target.is_dir() and not target.is_symlink():
            return None, None  # a stray file, not an entry
        folder = folder_of(root, name)
        if folder is None:
            return (inspect(target), None) if target.is_symlink() else (None, None)
        entry, model = _read_entry(folder, name, keep_model)
        if entry is not None:
            return entry, model
    return Entry(name, target, {}, "it kept changing while being read"), None


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
        return Entry(name, path, {}, read_problem(err)), None
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


def read_problem(err: BaseException) -> str:
    """A user-facing line for a read or validation error."""
    if isinstance(err, OSError) and err.strerror:
        return f"{Path(err.filename).name if err.filename else 'a file'} cannot be read ({err.strerror})"
    return one_line(err)


def read_bounded(path: Path, limit: int) -> bytes:
    """A regular file's bytes (at most `limit`), by path."""
    try:
        return read_path(path, limit)
    except UnsafeFile as err:
        raise RegistryError(str(err)) from None
