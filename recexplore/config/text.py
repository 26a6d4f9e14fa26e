"""The wording every one-line message shares: sizes in bytes and an error's first line."""

from __future__ import annotations

ONE_LINE_CHARS = 200  # the most of an error's first line a message shows


def byte_size(n_bytes: float) -> str:
    """'2 GiB', '1.5 GiB', '64 MiB', '4 KiB', '512 bytes': binary units, at most one decimal."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n_bytes >= 1 << shift:
            return f"{round(n_bytes / (1 << shift), 1):g} {unit}"
    return f"{int(n_bytes)} bytes"


def one_line(err: BaseException, limit: int = ONE_LINE_CHARS) -> str:
    """The first non-empty line of an exception's message, at most `limit` characters; the
    exception's type name when it has no message."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return (lines[0] if lines else type(err).__name__)[:limit]
