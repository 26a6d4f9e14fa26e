"""MovieLens sources (the data sets of `data_sources.py`) -> canonical pandas frames -> deterministic splits."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from recexplore.data.sources import (
    DATASET_ENV,
    DEFAULT_DATASET,
    ML100K_LAYOUT,
    NAMES,
    DataSource,
    source,
)

DATA_ENV = "RECEXPLORE_DATA_DIR"
CACHE_ENV = "RECEXPLORE_CACHE_DIR"
GENRES = ML100K_LAYOUT.genres
AGE_BUCKETS = (1, 18, 25, 35, 45, 50, 56)  # TFDS's bucketized_user_age lower bounds (ML-1M's age codes)
# ML-1M's occupation codes (its README), as the words ML-100K uses for the same jobs where it has one.
ML1M_OCCUPATIONS = (
    "other",
    "educator",
    "artist",
    "administrator",
    "student",
    "customer service",
    "healthcare",
    "executive",
    "farmer",
    "homemaker",
    "K-12 student",
    "lawyer",
    "programmer",
    "retired",
    "salesman",
    "scientist",
    "self-employed",
    "technician",
    "tradesman",
    "none",
    "writer",
)
OFFICIAL_SPLITS = ("u1", "u2", "u3", "u4", "u5", "ua", "ub")
RANDOM_SPLIT = "random"
MAX_SEED = 2**32 - 1  # split and training seeds: numpy's seed range
# Ceilings on what is read. The real bound on a data set is memory (`check_fits`); these stop a
# device, a bomb or a mistaken path first (MovieLens 25M: a 250 MiB zip, a 647 MiB ratings.csv).
MAX_DATA_FILE_BYTES = 2 << 30  # any one data file
MAX_ID = 2**31 - 1  # user and movie ids are int32
MAX_TIMESTAMP = 4_102_444_800  # 2100-01-01: later (or negative) timestamps are corrupt


class DataError(Exception):
    """A data problem with a one-line, user-facing explanation."""


@dataclass(frozen=True)
class MovieLens:
    """Canonical MovieLens frames (column names as TFDS's movielens features), whatever the layout.

    Attributes:
        ratings: user_id (int32), movie_id (int32), user_rating (float32 stars: whole stars, or
            half stars in the CSV layout), timestamp (int64).
        movies: movie_id, movie_title, movie_genres (tuple of genre names), year.
        users: user_id, raw_user_age, bucketized_user_age, user_gender, user_occupation_text,
            user_occupation_label, user_zip_code (the CSV layout has no demographics: every user
            has empty text, age 0 and NaN raw age, which the models read as unknown).
        folder: the folder the frames were parsed from.
        fingerprint: sha256 prefix over the core files' bytes.
        dataset: the data set's name (a row of `data_sources.SOURCES`).
    """

    ratings: pd.DataFrame
    movies: pd.DataFrame
    users: pd.DataFrame
    folder: Path
    fingerprint: str
    dataset: str = DEFAULT_DATASET

    @property
    def source(self) -> DataSource:
        """The data set's row in the sources table."""
        return source(self.dataset)

    @property
    def genres(self) -> tuple[str, ...]:
        """Every genre this data set's layout may name, in the models' order."""
        return self.source.layout.genres

    @property
    def missing_features(self) -> tuple[str, ...]:
        """The demographic user features this data set lacks."""
        return self.source.missing_features

    def available_splits(self) -> list[str]:
        """Split names usable with this folder: 'random' plus the official folds present."""
        folds = [
            s
            for s in OFFICIAL_SPLITS
            if (self.folder / f"{s}.base").is_file() and (self.folder / f"{s}.test").is_file()
        ]
        return [RANDOM_SPLIT, *folds]

    def joined(self, ratings: pd.DataFrame | None = None) -> pd.DataFrame:
        """Ratings joined with their movie and user features."""
        frame = self.ratings if ratings is None else ratings
        return frame.merge(self.movies, on="movie_id", how="left").merge(self.users, on="user_id", how="left")


# ---------------------------------------------------------------- sources


def cache_dir() -> Path:
    """RecExplore's cache folder (parsed frames, downloads); not created here."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "recexplore")


def chosen_dataset(dataset: str | None = None) -> str | None:
    """The data set asked for: `dataset`, else RECEXPLORE_DATASET, else None (any).

    Raises:
        DataError: an unknown name.
    """
    name = dataset or os.environ.get(DATASET_ENV) or None
    if name is not None and name not in NAMES:
        raise DataError(f"Unknown data set {name!r}: use one of {', '.join(NAMES)}.")
    return name


# ---------------------------------------------------------------- memory


# ---------------------------------------------------------------- parsing


# ---------------------------------------------------------------- ratings


# ---------------------------------------------------------------- movies and users


# ---------------------------------------------------------------- splits
