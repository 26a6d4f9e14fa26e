"""Bounded reads of regular files: no links followed, no pipes or devices opened for reading, no
more bytes than a limit. A named pipe would hang a plain `open`; `/dev/zero` would fill memory."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from recexplore.config.text import byte_size

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class UnsafeFile(ValueError):
    """A file that is not a regular file, or is larger than allowed (one line, names the file)."""


class SymlinkRefused(OSError):
    """The file is a symbolic link."""


def read_at(folder: int | None, filename: str | os.PathLike[str], limit: int, follow_links: bool = False) -> bytes:
    """The bytes of a regular file (inside an open folder when `folder` is a descriptor); a link
    is refused unless `follow_links`, and then what it points to must be a regular file.

    Raises:
        FileNotFoundError: no such file (its `filename` names it).
        SymlinkRefused: the file is a symbolic link.
        UnsafeFile: a pipe, device, socket or folder, or more than `limit` bytes.
        OSError: any other read failure.
    """
    name = os.fspath(filename)
    shown = Path(name).name
    flags = _FLAGS if follow_links else _FLAGS | _NOFOLLOW
    try:
        fd = os.open(name, flags, dir_fd=folder) if folder is not None else os.open(name, flags)
    except FileNotFoundError as err:
        raise FileNotFoundError(err.errno, err.strerror, shown) from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise SymlinkRefused(err.errno, err.strerror, shown) from None
        raise OSError(err.errno, err.strerror, shown) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(f"{shown} is not a regular file")
        if info.st_size > limit:
            raise UnsafeFile(f"{shown} is larger than the {byte_size(limit)} allowed")
        data = handle.read(limit + 1)
    if len(data) > limit:  # grew while we read it
        raise UnsafeFile(f"{shown} is larger than the {byte_size(limit)} allowed")
    return data


def read_path(path: Path, limit: int, follow_links: bool = False) -> bytes:
    """`read_at` by path (parent folders may be links; the file itself only with `follow_links`)."""
    return read_at(None, path, limit, follow_links)
