"""TODO docstring."""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pandas as pd

from recexplore.config.text import byte_size
from recexplore.data.movielens import MAX_DATA_FILE_BYTES, MAX_ID, DataError
from recexplore.data.safe_read import UnsafeFile, read_path


def check_regular(path: Path) -> None:
    """Refuse a pipe, device or folder (which would hang or fill memory) and an oversized file."""
    try:
        info = path.stat()
    except OSError as err:
        raise DataError(f"Cannot read {path.name}: {err.strerror or err}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"{path.name} is not a regular file: MovieLens files are plain text files.")
    if info.st_size > MAX_DATA_FILE_BYTES:
        raise DataError(f"{path.name} is larger than the {byte_size(MAX_DATA_FILE_BYTES)} allowed.")


def decode_text(path: Path) -> str:
    limit = MAX_DATA_FILE_BYTES
    try:
        raw = read_path(path, limit, follow_links=True)  # shared data folders link files
    except UnsafeFile as err:
        raise DataError(f"{err}: MovieLens files are plain text of at most {byte_size(limit)}.") from None
    except OSError as err:
        raise DataError(f"Cannot read {path.name}: {err.strerror or err}.") from None
    if b"\x00" in raw:
        raise DataError(f"{path.name}: not a MovieLens text file (binary or UTF-16 content).")
    try:
        return raw.decode("utf-8-sig")  # a re-encoded copy (BOM allowed); ASCII-only files land here too
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # the official encoding of ml-100k and ml-1m


def split_lines(text: str) -> list[str]:
    """Lines of a text (trailing blank lines dropped). Only \\n (and \\r\\n) end a line:
    str.splitlines would also split at \\x85, \\x0b, \\x0c and \\x1c-\\x1e, bytes that occur inside
    Latin-1 titles."""
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def fields_frame(lines: list[str], sep: str, names: list[str], shown: str, first_line: int = 1) -> pd.DataFrame:
    """Split lines into string columns, naming the first line with the wrong number of fields."""
    n_fields = len(names)
    split = [line.split(sep) for line in lines]
    for number, parts in enumerate(split, start=first_line):
        if len(parts) != n_fields:
            raise DataError(
                f"{shown}: line {number}: expected {n_fields} fields separated by {sep!r}, found {len(parts)}."
            )
    return pd.DataFrame(split, columns=names)


def read_table(path: Path, sep: str, names: list[str], header: str | None = None) -> pd.DataFrame:
    """A small delimited file as string columns (the movie and user files), naming the first bad line."""
    check_regular(path)
    lines = split_lines(decode_text(path))
    if header is not None:
        if not lines or lines[0].strip().lstrip("\ufeff") != header:
            raise DataError(f"{path.name}: line 1: expected the header {header!r}.")
        lines = lines[1:]
    if not lines:
        raise DataError(f"{path.name}: the file is empty.")
    return fields_frame(lines, sep, names, path.name, first_line=2 if header else 1)


def to_int(
    frame: pd.DataFrame, column: str, path: Path, low: int = 0, high: int = MAX_ID, first_line: int = 1
) -> np.ndarray:
    """Integers of a column, each within [low, high], or DataError naming the first bad line."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"{path.name}: line {row + first_line}: {column} {frame[column].iloc[row]!r} is not an integer."
        )
    as_float = values.to_numpy(dtype=np.float64)
    if not np.all(as_float == np.round(as_float)):
        row = int(np.argmax(as_float != np.round(as_float)))
        raise DataError(
            f"{path.name}: line {row + first_line}: {column} {frame[column].iloc[row]!r} is not an integer."
        )
    check_range(as_float, column, path, low, high, first_line, frame[column])
    return as_float.astype(np.int64)


def check_range(
    values: np.ndarray,
    column: str,
    path: Path,
    low: float,
    high: float,
    first_line: int,
    shown: pd.Series | None = None,
) -> None:
    outside = (values < low) | (values > high)
    if outside.any():
        row = int(np.argmax(outside))
        value = shown.iloc[row] if shown is not None else number_text(values[row])
        raise DataError(
            f"{path.name}: line {row + first_line}: {column} {value} is outside {number_text(low)}-{number_text(high)}."
        )


def number_text(value: float) -> str:
    """A number as a reader writes it: 5, 4102444800, 0.5."""
    return str(int(value)) if float(value) == int(value) else f"{value:g}"


def check_unique(frame: pd.DataFrame, column: str, path: Path, first_line: int = 1) -> None:
    dup = frame[column].duplicated().to_numpy()
    if dup.any():
        row = int(np.argmax(dup))
        raise DataError(f"{path.name}: line {row + first_line}: duplicate {column} {frame[column].iloc[row]}.")
