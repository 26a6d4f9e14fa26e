"""TODO docstring."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from recexplore.config.text import one_line
from recexplore.data.movielens import AGE_BUCKETS, GENRES, ML1M_OCCUPATIONS, DataError
from recexplore.data.sources import CSV_LAYOUT, GENRE_ALIASES, ML1M_LAYOUT, Layout
from recexplore.data.text_tables import check_regular, check_unique, read_table, to_int

_YEAR = re.compile(r"\((\d{4})\)\s*$")


def _movies_frame(ids: np.ndarray, titles: pd.Series, genres: list[tuple[str, ...]], years: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "movie_id": ids.astype(np.int32),
            "movie_title": titles.astype(str),
            "movie_genres": genres,
            "year": pd.to_numeric(years, errors="coerce").fillna(0).astype(np.int32),
        }
    )


def _parse_movies(path: Path) -> pd.DataFrame:
    """u.item: id|title|release date|video date|IMDb URL|19 genre flags."""
    names = ["movie_id", "movie_title", "release_date", "video_release_date", "imdb_url", *GENRES]
    raw = read_table(path, "|", names)
    flags = raw[list(GENRES)]
    bad = ~flags.isin(["0", "1"]).all(axis=1).to_numpy()
    if bad.any():
        line = int(np.argmax(bad)) + 1
        raise DataError(f"{path.name}: line {line}: genre flags must be 0 or 1.")
    flag_values = flags.to_numpy() == "1"
    genres = [tuple(g for g, on in zip(GENRES, row, strict=True) if on) for row in flag_values]
    movies = _movies_frame(to_int(raw, "movie_id", path, 1), raw["movie_title"], genres, raw["release_date"].str[-4:])
    check_unique(movies, "movie_id", path)
    return movies


def _genre_tuples(column: pd.Series, layout: Layout, path: Path, first_line: int) -> list[tuple[str, ...]]:
    """Pipe-joined genre names as tuples in the models' vocabulary (aliases applied), or DataError."""
    known = set(layout.genres)
    out = []
    for number, text in enumerate(column, start=first_line):
        names = tuple(GENRE_ALIASES.get(g, g) for g in str(text).split("|") if g)
        unknown = [g for g in names if g not in known]
        if unknown:
            raise DataError(f"{path.name}: line {number}: unknown genre {unknown[0]!r}.")
        out.append(names)
    return out


def _year_of(titles: pd.Series) -> pd.Series:
    """The release year at the end of a title ("Heat (1995)"), NaN where there is none."""
    return titles.str.extract(_YEAR, expand=False)


def _parse_movies_1m(path: Path) -> pd.DataFrame:
    """movies.dat: MovieID::Title::Genres (a title may hold a single colon, never two)."""
    raw = read_table(path, "::", ["movie_id", "movie_title", "genres"])
    ids = to_int(raw, "movie_id", path, 1)
    genres = _genre_tuples(raw["genres"], ML1M_LAYOUT, path, 1)
    movies = _movies_frame(ids, raw["movie_title"], genres, _year_of(raw["movie_title"]))
    check_unique(movies, "movie_id", path)
    return movies


def _parse_movies_csv(path: Path) -> pd.DataFrame:
    """movies.csv: movieId,title,genres with a header, titles quoted where they hold commas (UTF-8)."""
    check_regular(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, engine="c", encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
        reason = one_line(err)
        raise DataError(f"{path.name}: {reason}.") from None
    expected = ["movieId", "title", "genres"]
    if list(raw.columns) != expected:
        raise DataError(f"{path.name}: line 1: expected the header {','.join(expected)!r}.")
    if not len(raw):
        raise DataError(f"{path.name}: the file is empty.")
    raw.columns = ["movie_id", "movie_title", "genres"]
    ids = to_int(raw, "movie_id", path, 1, first_line=2)
    genres = _genre_tuples(raw["genres"], CSV_LAYOUT, path, 2)
    movies = _movies_frame(ids, raw["movie_title"].str.strip(), genres, _year_of(raw["movie_title"].str.strip()))
    check_unique(movies, "movie_id", path, first_line=2)
    return movies


def _users_frame(ids: np.ndarray, ages: np.ndarray, buckets: np.ndarray, raw: pd.DataFrame) -> pd.DataFrame:
    occupations = sorted(raw["occupation"].unique())
    return pd.DataFrame(
        {
            "user_id": ids.astype(np.int32),
            "raw_user_age": ages.astype(np.float32),
            "bucketized_user_age": buckets.astype(np.float32),
            "user_gender": raw["gender"].astype(str),
            "user_occupation_text": raw["occupation"].astype(str),
            "user_occupation_label": raw["occupation"].map({o: i for i, o in enumerate(occupations)}).astype(np.int32),
            "user_zip_code": raw["zip"].astype(str),
        }
    )


def _check_gender(raw: pd.DataFrame, path: Path) -> None:
    bad_gender = ~raw["gender"].isin(["M", "F"]).to_numpy()
    if bad_gender.any():
        line = int(np.argmax(bad_gender)) + 1
        raise DataError(f"{path.name}: line {line}: gender {raw['gender'].iloc[line - 1]!r} is not M or F.")


def _parse_users(path: Path) -> pd.DataFrame:
    """u.user: id|age|gender|occupation|zip."""
    raw = read_table(path, "|", ["user_id", "age", "gender", "occupation", "zip"])
    ages = to_int(raw, "age", path, 0, 150)
    _check_gender(raw, path)
    buckets = np.array([bucketize_age(a) for a in ages])
    users = _users_frame(to_int(raw, "user_id", path, 1), ages, buckets, raw)
    check_unique(users, "user_id", path)
    return users


def _parse_users_1m(path: Path) -> pd.DataFrame:
    """users.dat: UserID::Gender::Age::Occupation::Zip-code (age as its bucket, occupation as a code).

    ML-1M publishes only the age bucket: raw_user_age is the bucket's lower bound."""
    raw = read_table(path, "::", ["user_id", "gender", "age", "occupation_code", "zip"])
    ages = to_int(raw, "age", path, 1, 56)
    off_bucket = ~np.isin(ages, AGE_BUCKETS)
    if off_bucket.any():
        line = int(np.argmax(off_bucket)) + 1
        raise DataError(f"{path.name}: line {line}: age {ages[line - 1]} is not one of ML-1M's codes {AGE_BUCKETS}.")
    _check_gender(raw, path)
    codes = to_int(raw, "occupation_code", path, 0, len(ML1M_OCCUPATIONS) - 1)
    raw["occupation"] = [ML1M_OCCUPATIONS[c] for c in codes]
    users = _users_frame(to_int(raw, "user_id", path, 1), ages, ages, raw)
    check_unique(users, "user_id", path)
    return users


def anonymous_users(user_ids: pd.Series | np.ndarray) -> pd.DataFrame:
    """The users table of a data set without demographics: one row per user id that rated,
    every demographic unknown (empty text, bucket 0, NaN age)."""
    ids = np.unique(np.asarray(user_ids)).astype(np.int32)
    empty = pd.Series([""] * len(ids), dtype=str)
    return pd.DataFrame(
        {
            "user_id": ids,
            "raw_user_age": np.full(len(ids), np.nan, dtype=np.float32),
            "bucketized_user_age": np.zeros(len(ids), dtype=np.float32),
            "user_gender": empty,
            "user_occupation_text": empty.copy(),
            "user_occupation_label": np.zeros(len(ids), dtype=np.int32),
            "user_zip_code": empty.copy(),
        }
    )


def bucketize_age(age: float) -> int:
    """TFDS's bucketized_user_age: the largest bucket lower bound <= age."""
    return max([b for b in AGE_BUCKETS if age >= b], default=AGE_BUCKETS[0])
