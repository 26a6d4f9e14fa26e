"""TODO docstring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from recexplore.data.movielens import MAX_ID, MAX_TIMESTAMP, DataError
from recexplore.data.sources import CSV_LAYOUT, ML1M_LAYOUT, ML100K_LAYOUT, Layout
from recexplore.data.text_tables import (
    check_range,
    check_regular,
    decode_text,
    fields_frame,
    number_text,
    split_lines,
    to_int,
)

_CHUNK_LINES = 1 << 20  # the line-by-line checker's chunk (only runs on a file the fast reader refused)


RATING_COLUMNS = ["user_id", "movie_id", "user_rating", "timestamp"]


_CSV_RATINGS_HEADER = "userId,movieId,rating,timestamp"


def _ratings_format(path: Path, layout: Layout) -> tuple[str, int]:
    """(separator, header lines) of a ratings file: fold files (.base/.test) use u.data's format."""
    if path.suffix in (".base", ".test") or layout is ML100K_LAYOUT:
        return "\t", 0
    return ("::", 0) if layout is ML1M_LAYOUT else (",", 1)


def parse_ratings(path: Path, layout: Layout = ML100K_LAYOUT) -> pd.DataFrame:
    """A ratings file (or a uN.base/.test fold file) as user_id/movie_id (int32), user_rating
    (float32) and timestamp (int64), every value checked.

    The file is read by pandas' C parser with fixed dtypes; when it refuses a line, the line-by-line
    checker names the first bad line (and reads what the C parser cannot, e.g. trailing blanks).
    """
    check_regular(path)
    sep, header = _ratings_format(path, layout)
    try:
        columns = _read_ratings_fast(path, sep, header)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OverflowError):
        columns = _read_ratings_checked(path, sep, header)
    ratings = _checked_ratings(columns, path, 1 + header, half_stars=layout is CSV_LAYOUT)
    if not len(ratings):
        raise DataError(f"{path.name}: the file is empty.")
    return ratings


def _read_ratings_fast(path: Path, sep: str, header: int) -> list[np.ndarray]:
    """The four columns by pandas' C parser (ids and times as int64, stars as float64)."""
    if header:
        with path.open("rb") as handle:
            first = handle.readline().decode("utf-8-sig", "replace").strip()
        if first != _CSV_RATINGS_HEADER:
            raise DataError(f"{path.name}: line 1: expected the header {_CSV_RATINGS_HEADER!r}, found {first[:60]!r}.")
    if sep == "::":  # the C parser takes one character: "a::b" is a, "", b, the empty fields checked
        names = ["user_id", "_1", "movie_id", "_2", "user_rating", "_3", "timestamp"]
        frame = pd.read_csv(
            path,
            sep=":",
            header=None,
            names=names,
            dtype={"user_id": np.int64, "movie_id": np.int64, "user_rating": np.float64, "timestamp": np.int64},
            engine="c",
            skip_blank_lines=False,
            na_filter=True,
        )
        if not frame[["_1", "_2", "_3"]].isna().all().all():
            raise ValueError("non-empty field between the colons")
    else:
        frame = pd.read_csv(
            path,
            sep=sep,
            header=None,
            skiprows=header,
            names=RATING_COLUMNS,
            dtype={"user_id": np.int64, "movie_id": np.int64, "user_rating": np.float64, "timestamp": np.int64},
            engine="c",
            skip_blank_lines=False,
        )
    if frame["user_rating"].isna().any():
        raise ValueError("missing rating")
    return [frame[c].to_numpy() for c in RATING_COLUMNS]


def _read_ratings_checked(path: Path, sep: str, header: int) -> list[np.ndarray]:
    """The four columns read line by line in chunks, or DataError naming the first bad line."""
    text = decode_text(path)
    lines = split_lines(text)
    del text
    if header:
        lines = lines[1:]
    if not lines:
        raise DataError(f"{path.name}: the file is empty.")
    parts: list[list[np.ndarray]] = []
    for start in range(0, len(lines), _CHUNK_LINES):
        first = start + 1 + header
        frame = fields_frame(lines[start : start + _CHUNK_LINES], sep, RATING_COLUMNS, path.name, first)
        stars = pd.to_numeric(frame["user_rating"], errors="coerce").to_numpy(np.float64)
        bad = np.isnan(stars)
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(
                f"{path.name}: line {row + first}: user_rating {frame['user_rating'].iloc[row]!r} is not a number."
            )
        parts.append(
            [
                to_int(frame, "user_id", path, 1, first_line=first),
                to_int(frame, "movie_id", path, 1, first_line=first),
                stars,
                to_int(frame, "timestamp", path, 0, MAX_TIMESTAMP, first_line=first),
            ]
        )
    return [np.concatenate([p[i] for p in parts]) for i in range(4)]


def _checked_ratings(columns: list[np.ndarray], path: Path, first_line: int, half_stars: bool) -> pd.DataFrame:
    """Range, star-step and duplicate checks, naming the first bad line; the typed frame."""
    users, movies, stars, times = columns
    check_range(users, "user_id", path, 1, MAX_ID, first_line)
    check_range(movies, "movie_id", path, 1, MAX_ID, first_line)
    step = 2.0 if half_stars else 1.0
    uneven = stars * step != np.round(stars * step)
    if uneven.any():
        row = int(np.argmax(uneven))
        kind = "a half star" if half_stars else "an integer"
        raise DataError(f"{path.name}: line {row + first_line}: user_rating {number_text(stars[row])} is not {kind}.")
    low = 0.5 if half_stars else 1.0
    outside = (stars < low) | (stars > 5)
    if outside.any():
        row = int(np.argmax(outside))
        raise DataError(
            f"{path.name}: line {row + first_line}: rating {number_text(stars[row])} is outside {number_text(low)}-5."
        )
    check_range(times, "timestamp", path, 0, MAX_TIMESTAMP, first_line)
    ratings = pd.DataFrame(
        {
            "user_id": users.astype(np.int32),
            "movie_id": movies.astype(np.int32),
            "user_rating": stars.astype(np.float32),
            "timestamp": times.astype(np.int64),
        }
    )
    repeated = ratings.duplicated(["user_id", "movie_id"]).to_numpy()
    if repeated.any():
        row = int(np.argmax(repeated))
        found = ratings.iloc[row]
        raise DataError(
            f"{path.name}: line {row + first_line}: user {found['user_id']} rated movie {found['movie_id']} twice."
        )
    return ratings
