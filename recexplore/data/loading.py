"""TODO docstring."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from recexplore.data.locate import locate
from recexplore.data.movielens import MovieLens, cache_dir
from recexplore.data.parse import parse_folder
from recexplore.data.sources import DataSource

_PARSE_VERSION = 4  # bump when parsing or validation changes: cached frames are re-read


def load_movielens(
    path: str | os.PathLike[str] | None = None, download: bool = True, dataset: str | None = None
) -> MovieLens:
    """Load a MovieLens data set as canonical frames, from the parse cache when unchanged.

    Args:
        path: see `locate`.
        download: see `locate`.
        dataset: see `locate`.

    Returns:
        The parsed data set.

    Raises:
        DataError: missing, unreadable, malformed or too large files (naming file and line).
    """
    folder, found = locate(path, dataset, download=download)
    folder = folder.resolve()
    stamp = _stat_stamp(folder, found)
    cache_file = cache_dir() / "parsed" / f"{hashlib.sha256(stamp.encode()).hexdigest()[:24]}.npz"
    cached = _read_cache(cache_file)
    if cached is not None:
        return MovieLens(folder=folder, dataset=found.name, **cached)
    frames = parse_folder(folder, found.layout, found.name)
    _write_cache(cache_file, frames)
    return MovieLens(folder=folder, dataset=found.name, **frames)


def _stat_stamp(folder: Path, found: DataSource) -> str:
    parts = [str(_PARSE_VERSION), str(folder), found.name]
    for name in found.layout.core_files:
        st = (folder / name).stat()
        parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def _read_cache(cache_file: Path) -> dict | None:
    """The frames stored by _write_cache, or None (missing, stale or damaged: reparse).

    The cache is plain arrays read with allow_pickle=False, so a planted file cannot run code.
    """
    try:
        with np.load(cache_file, allow_pickle=False) as stored:
            spec = json.loads(str(stored["__spec__"]))
            frames: dict = {
                frame: pd.DataFrame(
                    {column: _decode_column(stored[f"{frame}__{column}"], dtype) for column, dtype in columns}
                )
                for frame, columns in spec["frames"].items()
            }
            return {**frames, "fingerprint": str(spec["fingerprint"])}
    except Exception:  # missing or damaged cache: reparse
        return None


def _write_cache(cache_file: Path, parsed: dict) -> None:
    """Store parse_folder's frames as .npz arrays (strings as unicode, genre tuples joined by '|')."""
    arrays: dict[str, np.ndarray] = {}
    spec: dict = {"fingerprint": parsed["fingerprint"], "frames": {}}
    for frame in ("ratings", "movies", "users"):
        table = parsed[frame]
        spec["frames"][frame] = [(column, str(table[column].dtype)) for column in table.columns]
        for column in table.columns:
            arrays[f"{frame}__{column}"] = _encode_column(table[column])
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("wb") as handle:
            np.savez(handle, __spec__=np.array(json.dumps(spec)), **arrays)
        tmp.replace(cache_file)
    except OSError:
        pass  # a read-only cache only costs speed


def _encode_column(values: pd.Series) -> np.ndarray:
    if values.dtype == object and len(values) and isinstance(values.iloc[0], tuple):  # movie_genres
        return np.array(["|".join(v) for v in values], dtype=str)
    if not pd.api.types.is_numeric_dtype(values.dtype):
        return np.array(values.astype(str).tolist(), dtype=str)
    return values.to_numpy()


def _decode_column(array: np.ndarray, dtype: str) -> pd.Series:
    if dtype == "object":
        return pd.Series([tuple(v.split("|")) if v else () for v in array.tolist()], dtype=object)
    return pd.Series(array.tolist() if array.dtype.kind == "U" else array).astype(dtype)
