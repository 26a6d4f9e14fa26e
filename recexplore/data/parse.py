"""TODO docstring."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from recexplore.data.locate import check_fits, not_a_data_folder
from recexplore.data.movielens import DataError
from recexplore.data.parse_movies_users import (
    _parse_movies,
    _parse_movies_1m,
    _parse_movies_csv,
    _parse_users,
    _parse_users_1m,
    anonymous_users,
)
from recexplore.data.parse_ratings import parse_ratings
from recexplore.data.sources import CSV_LAYOUT, ML1M_LAYOUT, ML100K_LAYOUT, Layout, layout_of


def parse_folder(folder: Path, layout: Layout | None = None, name: str | None = None) -> dict:
    """Parse a data set's core files (no caching): ratings, movies, users and the fingerprint.

    Raises:
        DataError: a file is malformed (naming file and line), or the data would not fit in memory.
    """
    layout = layout or layout_of(folder)
    if layout is None:
        raise DataError(not_a_data_folder(folder))
    check_fits(folder, layout, name or folder.name)
    ratings = parse_ratings(folder / layout.ratings_file, layout)
    if layout is ML100K_LAYOUT:
        movies, users = _parse_movies(folder / layout.movies_file), _parse_users(folder / "u.user")
    elif layout is ML1M_LAYOUT:
        movies, users = _parse_movies_1m(folder / layout.movies_file), _parse_users_1m(folder / "users.dat")
    else:
        movies, users = _parse_movies_csv(folder / layout.movies_file), anonymous_users(ratings["user_id"])
    _check_references(layout, ratings, movies, users)
    digest = hashlib.sha256()
    for file_name in layout.core_files:
        with (folder / file_name).open("rb") as handle:
            while block := handle.read(1 << 22):
                digest.update(block)
    return {"ratings": ratings, "movies": movies, "users": users, "fingerprint": digest.hexdigest()[:16]}


def _check_references(layout: Layout, ratings: pd.DataFrame, movies: pd.DataFrame, users: pd.DataFrame) -> None:
    first_line = 2 if layout is CSV_LAYOUT else 1
    for column, known, name in (("user_id", users, layout.users_file), ("movie_id", movies, layout.movies_file)):
        unknown = ~ratings[column].isin(known[column]).to_numpy()
        if unknown.any():
            row = int(np.argmax(unknown))
            raise DataError(
                f"{layout.ratings_file}: line {row + first_line}: {column} {ratings[column].iloc[row]} is not in {name}."
            )
