"""The MovieLens data sets RecExplore reads: one row per data set, one home for each fact about it.

A row names the official zip (URL, size and sha256 as registered in tensorflow-datasets'
`movielens` checksums, so a download is verified exactly as TFDS verifies it), the file layout
its folder holds, which user features it has, and its published size. Adding a data set in a
known layout is one row here; a new layout is one `Layout` and its parser in `data.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATASET_ENV = "RECEXPLORE_DATASET"  # the app's (and the CLI's default) data set name
DEFAULT_DATASET = "ml-100k"
GROUPLENS = "https://files.grouplens.org/datasets/movielens"
DEMOGRAPHICS = ("gender", "age", "occupation", "zip code")  # the user features only some layouts have


@dataclass(frozen=True)
class Layout:
    """A MovieLens file layout: which files a folder holds and how they are written.

    Attributes:
        name: the layout's name (the oldest data set written this way).
        ratings_file, movies_file: the two files every layout has.
        users_file: the demographics file, or None when the layout has none.
        encoding: the text encoding of the movie (and user) file; ratings are ASCII.
        genres: every genre name the layout's movie file may use, in the models' order.
    """

    name: str
    ratings_file: str
    movies_file: str
    users_file: str | None
    encoding: str
    genres: tuple[str, ...]

    @property
    def core_files(self) -> tuple[str, ...]:
        """The files that identify the layout (and whose bytes make the data's fingerprint)."""
        return tuple(f for f in (self.ratings_file, self.movies_file, self.users_file) if f)

    @property
    def user_features(self) -> tuple[str, ...]:
        """The demographic user features this layout carries."""
        return DEMOGRAPHICS if self.users_file else ()


_GENRES_100K = (
    "Unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
# ML-1M writes "Children's"; the CSV layout adds IMAX and writes "(no genres listed)". Both are
# read into the 100K names (GENRE_ALIASES), so a genre means the same column in every data set.
GENRE_ALIASES = {"Children's": "Children", "(no genres listed)": "Unknown"}

ML100K_LAYOUT = Layout("ml-100k", "u.data", "u.item", "u.user", "latin-1", _GENRES_100K)
ML1M_LAYOUT = Layout("ml-1m", "ratings.dat", "movies.dat", "users.dat", "latin-1", _GENRES_100K)
CSV_LAYOUT = Layout("csv", "ratings.csv", "movies.csv", None, "utf-8", (*_GENRES_100K, "IMAX"))
LAYOUTS = (ML100K_LAYOUT, ML1M_LAYOUT, CSV_LAYOUT)


@dataclass(frozen=True)
class DataSource:
    """One MovieLens data set.

    Attributes:
        name: the id used by --dataset, RECEXPLORE_DATASET and the official zip's folder name.
        title: how the app names it.
        layout: its file layout.
        zip_size, zip_sha256: the official zip's size and digest (tensorflow-datasets' checksums).
        tfds_config: the tensorflow-datasets `movielens` builder config it matches.
        ratings, users, movies: its published size (movies: those in the movie file).
        ratings_bytes: about the size of its ratings file (tells same-layout data sets apart).
    """

    name: str
    title: str
    layout: Layout
    zip_size: int
    zip_sha256: str
    tfds_config: str
    ratings: int
    users: int
    movies: int
    ratings_bytes: int

    @property
    def url(self) -> str:
        """The official zip's address."""
        return f"{GROUPLENS}/{self.name}.zip"

    @property
    def user_features(self) -> tuple[str, ...]:
        """The demographic user features this data set has."""
        return self.layout.user_features

    @property
    def missing_features(self) -> tuple[str, ...]:
        """The demographic user features this data set lacks (the models see them as unknown)."""
        return tuple(f for f in DEMOGRAPHICS if f not in self.user_features)


SOURCES = (
    DataSource(
        "ml-100k",
        "MovieLens 100K",
        ML100K_LAYOUT,
        4_924_029,
        "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        "100k-ratings",
        100_000,
        943,
        1_682,
        1_979_173,
    ),
    DataSource(
        "ml-1m",
        "MovieLens 1M",
        ML1M_LAYOUT,
        5_917_549,
        "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
        "1m-ratings",
        1_000_209,
        6_040,
        3_883,
        24_594_131,
    ),
    DataSource(
        "ml-latest-small",
        "MovieLens latest (small)",
        CSV_LAYOUT,
        978_202,
        "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
        "latest-small-ratings",
        100_836,
        610,
        9_742,
        2_483_723,
    ),
    DataSource(
        "ml-20m",
        "MovieLens 20M",
        CSV_LAYOUT,
        198_702_078,
        "96f243c338a8665f6bcc89c53edf6ee39162a846940de6b7c8c48aeada765ff3",
        "20m-ratings",
        20_000_263,
        138_493,
        27_278,
        533_444_411,
    ),
    DataSource(
        "ml-25m",
        "MovieLens 25M",
        CSV_LAYOUT,
        261_978_986,
        "8b21cfb7eb1706b4ec0aac894368d90acf26ebdfb6aced3ebd4ad5bd1eb9c6aa",
        "25m-ratings",
        25_000_095,
        162_541,
        62_423,
        678_260_987,
    ),
)
NAMES = tuple(s.name for s in SOURCES)


def source(name: str) -> DataSource:
    """The data set called `name`, or ValueError listing the known names."""
    for found in SOURCES:
        if found.name == name:
            return found
    raise ValueError(f"Unknown data set {name!r}: use one of {', '.join(NAMES)}.")


def of_layout(layout: Layout) -> tuple[DataSource, ...]:
    """The data sets written in `layout`."""
    return tuple(s for s in SOURCES if s.layout is layout)


def guess(layout: Layout, folder_name: str, ratings_bytes: int) -> DataSource:
    """Which data set a folder in `layout` holds: the one it is named after, else the one whose
    ratings file is nearest in size (the CSV layout is shared by ml-latest-small, ml-20m, ml-25m)."""
    candidates = of_layout(layout)
    for found in candidates:
        if folder_name == found.name:
            return found
    return min(candidates, key=lambda s: abs(_log_ratio(s.ratings_bytes, ratings_bytes)))


def _log_ratio(a: int, b: int) -> float:
    import math

    return math.log(max(a, 1) / max(b, 1))


def layout_of(folder: Path) -> Layout | None:
    """The layout whose core files are all in `folder` (regular files), or None."""
    for layout in LAYOUTS:
        if all((folder / name).is_file() for name in layout.core_files):
            return layout
    return None
