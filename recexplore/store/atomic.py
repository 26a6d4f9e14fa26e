"""Crash-safe registry writes: flushed files, the registry's locks, the swap into place, and recovery."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from recexplore.store.entry_format import DELETED, TMP, TRASH, hidden_name, is_entry_folder

READ_LOCK_WAIT_S = 10.0  # a reader waits this long for a writer to finish, then reads without the lock

try:  # POSIX advisory locks; elsewhere saves from two processes at once are not serialised
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def write_file(path: Path, payload: bytes) -> None:
    """Write and flush a new file (an existing one is refused: our folders are fresh)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
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


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the registry's write lock (a lock on the folder itself), finishing interrupted work first."""
    fd = os.open(root, os.O_RDONLY)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd is closed
        _finish_interrupted(root)
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def read_locked(root: Path) -> Iterator[None]:
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


def _finish_interrupted(root: Path) -> None:
    """Finish what a killed writer left: restore parked entries, remove partial ones.

    Called with the lock held, so no other writer is in the middle of a save.
    """
    for hidden in sorted(root.iterdir()):
        if (
            not hidden.name.startswith((TMP, TRASH, DELETED))
            or hidden.is_symlink()
            or not hidden.is_dir()
            or not is_entry_folder(hidden, allow_partial=True)
        ):
            continue  # only our own folders, under our own hidden names, are ever touched
        if hidden_name(hidden.name, TRASH) is not None:
            name = hidden_name(hidden.name, TRASH)
            if not (root / name).exists():
                hidden.rename(root / name)  # the overwrite never got its new entry in place
                continue
            shutil.rmtree(hidden, ignore_errors=True)
        elif hidden_name(hidden.name, TMP) is not None or hidden_name(hidden.name, DELETED) is not None:
            shutil.rmtree(hidden, ignore_errors=True)


def swap_into_place(tmp: Path, target: Path) -> None:
    """Rename the finished folder `tmp` to `target`, parking an old entry there until the new one is in."""
    if not target.exists():
        tmp.rename(target)
        fsync_dir(target.parent)
        return
    trash = target.with_name(f"{TRASH}{target.name}-{uuid.uuid4().hex[:8]}")
    target.rename(trash)
    try:
        tmp.rename(target)
    except OSError:
        trash.rename(target)  # put the old entry back
        raise
    fsync_dir(target.parent)
    _discard(trash)


def _discard(folder: Path) -> None:
    """Remove a hidden folder: renamed to DELETED first, so no reader takes it for an entry."""
    name = hidden_name(folder.name, TRASH) or folder.name
    gone = folder.with_name(f"{DELETED}{name}-{uuid.uuid4().hex[:8]}")
    try:
        folder.rename(gone)
    except OSError:
        return  # left for the next writer's recovery
    shutil.rmtree(gone, ignore_errors=True)
