"""The synthetic MovieLens-layout generator: exact file formats, counts, shape of the data, determinism."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recexplore.data.synth import SYNTH_LAYOUTS, write_synthetic

N_RATINGS, N_USERS, N_MOVIES = 9_000, 150, 600
RATING_FILES = {"ml-100k": "u.data", "ml-1m": "ratings.dat", "ml-25m": "ratings.csv"}
MOVIE_FILES = {"ml-100k": "u.item", "ml-1m": "movies.dat", "ml-25m": "movies.csv"}
GENRES_100K = (
    "Unknown Action Adventure Animation Children Comedy Crime Documentary Drama Fantasy Film-Noir Horror Musical "
    "Mystery Romance Sci-Fi Thriller War Western"
).split()
GENRES_1M = {g if g != "Children" else "Children's" for g in GENRES_100K[1:]}
GENRES_CSV = {*GENRES_100K[1:], "IMAX"}
START = {"ml-100k": "1997-09-20", "ml-1m": "2000-01-01", "ml-25m": "2000-01-01"}


def _ratings(folder: Path, layout: str) -> pd.DataFrame:
    names = ["user", "movie", "rating", "timestamp"]
    path = folder / RATING_FILES[layout]
    if layout == "ml-25m":
        return pd.read_csv(path).set_axis(names, axis=1)
    sep = "\t" if layout == "ml-100k" else "::"
    return pd.read_csv(path, sep=sep, header=None, names=names, engine="python" if len(sep) > 1 else "c")


def _movies(folder: Path, layout: str) -> pd.DataFrame:
    path = folder / MOVIE_FILES[layout]
    if layout == "ml-100k":
        names = ["movie", "title", "release", "video", "url", *GENRES_100K]
        return pd.read_csv(path, sep="|", header=None, names=names, encoding="latin-1", dtype={"video": str})
    if layout == "ml-1m":
        rows = [line.split("::") for line in path.read_bytes().decode("latin-1").splitlines()]
        return pd.DataFrame(rows, columns=["movie", "title", "genres"]).astype({"movie": int})
    return pd.read_csv(path, encoding="utf-8", keep_default_na=False).set_axis(["movie", "title", "genres"], axis=1)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, int]]]:
    made = {}
    for layout in SYNTH_LAYOUTS:
        folder = tmp_path_factory.mktemp(layout)
        made[layout] = folder, write_synthetic(folder, layout, N_RATINGS, N_USERS, N_MOVIES, seed=7)
    return made


@pytest.mark.parametrize("layout", SYNTH_LAYOUTS)
def test_counts_pairs_and_users(folders: dict, layout: str) -> None:
    folder, counts = folders[layout]
    assert counts == {"ratings": N_RATINGS, "users": N_USERS, "movies": N_MOVIES}
    ratings, movies = _ratings(folder, layout), _movies(folder, layout)
    assert len(ratings) == counts["ratings"] and len(movies) == counts["movies"]
    assert not ratings.duplicated(["user", "movie"]).any()
    assert sorted(ratings["user"].unique()) == list(range(1, N_USERS + 1))
    assert ratings.groupby("user").size().min() >= 20  # MovieLens' promise, as the sizes allow
    assert movies["movie"].is_unique and movies["movie"].is_monotonic_increasing
    assert set(ratings["movie"]) <= set(movies["movie"])


@pytest.mark.parametrize("layout", SYNTH_LAYOUTS)
def test_ratings_time_and_long_tail(folders: dict, layout: str) -> None:
    folder, _ = folders[layout]
    ratings = _ratings(folder, layout)
    allowed = {h / 2 for h in range(1, 11)} if layout == "ml-25m" else {1, 2, 3, 4, 5}
    assert set(ratings["rating"]) <= allowed
    if layout == "ml-25m":
        assert {3.5, 4.0} <= set(ratings["rating"])
        assert re.fullmatch(r"\d+,\d+,[0-5]\.[05],\d+", (folder / "ratings.csv").read_text().splitlines()[1])
    else:
        assert pd.api.types.is_integer_dtype(ratings["rating"])
    start = datetime.fromisoformat(START[layout]).replace(tzinfo=timezone.utc).timestamp()
    assert start <= ratings["timestamp"].min() and ratings["timestamp"].max() < start + 11 * 365 * 86400
    # Users join over time (ids in order), so later users' ratings are later on average; each user's are spread.
    by_quarter = ratings.groupby(pd.qcut(ratings["user"], 4, labels=False))["timestamp"].mean()
    assert by_quarter.is_monotonic_increasing
    half = len(ratings) // 2
    assert ratings["timestamp"][:half].mean() < ratings["timestamp"][half:].mean()
    spread = ratings.groupby("user")["timestamp"].agg(lambda t: t.max() - t.min())
    assert (spread > 0).all() and spread.median() > 3600
    # Long tail: the top 10% of movies hold a clear majority of the ratings.
    per_movie = ratings["movie"].value_counts().to_numpy()
    assert per_movie[: N_MOVIES // 10].sum() / len(ratings) > 0.4
    # Learnable: per-movie and per-user means beat the global mean on held-out ratings.
    test = np.random.default_rng(0).random(len(ratings)) < 0.2
    train, held = ratings[~test], ratings[test]
    mean = train["rating"].mean()
    movie_bias = (train["rating"] - mean).groupby(train["movie"]).sum() / (train.groupby("movie").size() + 5)
    rest = train["rating"] - mean - train["movie"].map(movie_bias)
    user_bias = rest.groupby(train["user"]).sum() / (train.groupby("user").size() + 5)
    guess = mean + held["movie"].map(movie_bias).fillna(0) + held["user"].map(user_bias).fillna(0)
    assert np.sqrt(((held["rating"] - guess) ** 2).mean()) < 0.95 * np.sqrt(((held["rating"] - mean) ** 2).mean())


def test_ml100k_files(folders: dict) -> None:
    folder, _ = folders["ml-100k"]
    assert re.fullmatch(r"\d+\t\d+\t[1-5]\t\d{9,10}", (folder / "u.data").read_text().splitlines()[0])
    raw = (folder / "u.item").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # Latin-1, as the official file
    lines = raw.decode("latin-1").splitlines()
    assert all(
        re.fullmatch(r"\d+\|[^|]+ \((\d{4})\)\|01-Jan-\1\|\|http://example\.invalid/\d+\|[01](\|[01]){18}", x)
        for x in lines
    )
    movies = _movies(folder, "ml-100k")
    assert movies["movie"].tolist() == list(range(1, N_MOVIES + 1))
    assert (movies[GENRES_100K].sum(axis=1) >= 1).all()
    assert movies["title"].str.contains(r"[^\x00-\x7f]").any()
    users = pd.read_csv(
        folder / "u.user", sep="|", header=None, names=["user", "age", "gender", "job", "zip"], dtype={"zip": str}
    )
    assert users["user"].tolist() == list(range(1, N_USERS + 1))
    assert users["age"].between(7, 73).all() and set(users["gender"]) <= {"M", "F"}
    assert users["job"].str.fullmatch(r"[a-z]+").all() and users["zip"].str.fullmatch(r"\d{5}").all()


def test_ml1m_files(folders: dict) -> None:
    folder, _ = folders["ml-1m"]
    assert re.fullmatch(r"\d+::\d+::[1-5]::\d{9,10}", (folder / "ratings.dat").read_text().splitlines()[0])
    raw = (folder / "movies.dat").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    movies = _movies(folder, "ml-1m")
    assert movies["title"].str.fullmatch(r".+ \(\d{4}\)").all()
    assert movies["title"].str.contains(":").any() and movies["title"].str.contains(r"[^\x00-\x7f]").any()
    assert movies["genres"].map(lambda g: g != "" and set(g.split("|")) <= GENRES_1M).all()
    assert movies["movie"].max() > N_MOVIES  # ids have gaps, as the real 1..3952 for 3,706 movies
    users = [line.split("::") for line in (folder / "users.dat").read_text(encoding="latin-1").splitlines()]
    assert [int(u[0]) for u in users] == list(range(1, N_USERS + 1))
    assert all(len(u) == 5 and u[1] in "MF" and int(u[2]) in {1, 18, 25, 35, 45, 50, 56} for u in users)
    assert all(0 <= int(u[3]) <= 20 and re.fullmatch(r"\d{5}(-\d{4})?", u[4]) for u in users)


def test_csv_files(folders: dict) -> None:
    folder, _ = folders["ml-25m"]
    assert not (folder / "users.dat").exists() and not (folder / "u.user").exists()
    text = (folder / "movies.csv").read_bytes().decode("utf-8")
    assert text.startswith("movieId,title,genres\n")
    movies = _movies(folder, "ml-25m")
    assert movies["title"].str.contains(r"[^\x00-\x7f]").any()
    with_comma = movies[movies["title"].str.contains(",")]
    assert len(with_comma) and all(f'\n{m},"' in text for m in with_comma["movie"])  # quoted as csv does
    assert (movies["genres"] == "(no genres listed)").any()
    listed = movies["genres"][movies["genres"] != "(no genres listed)"]
    assert listed.map(lambda g: set(g.split("|")) <= GENRES_CSV).all()
    assert not movies["title"].str.fullmatch(r".+ \(\d{4}\)").all()  # a title may lack its year
    assert movies["movie"].max() > 2 * N_MOVIES  # sparse ids
    links = (folder / "links.csv").read_text(encoding="utf-8").splitlines()
    assert links[0] == "movieId,imdbId,tmdbId" and len(links) == N_MOVIES + 1
    assert all(re.fullmatch(r"\d+,\d{7},\d*", x) for x in links[1:])
    tags = list(csv.reader(io.StringIO((folder / "tags.csv").read_text(encoding="utf-8"))))
    assert tags[0] == ["userId", "movieId", "tag", "timestamp"] and len(tags) > 1


@pytest.mark.parametrize("layout", SYNTH_LAYOUTS)
def test_deterministic_for_a_seed(tmp_path: Path, layout: str) -> None:
    def files(seed: int, name: str) -> dict[str, bytes]:
        write_synthetic(tmp_path / name, layout, 3_000, 60, 300, seed=seed)
        return {p.name: p.read_bytes() for p in sorted((tmp_path / name).iterdir())}

    first, again, other = files(1, "a"), files(1, "b"), files(2, "c")
    assert first == again
    assert first[RATING_FILES[layout]] != other[RATING_FILES[layout]]


@pytest.mark.parametrize(
    ("n_ratings", "n_users", "n_movies", "per_user"),
    [(12, 4, 3, 3), (5, 5, 1, 1), (40, 10, 50, 4), (1, 1, 1, 1)],
)
def test_edge_sizes(tmp_path: Path, n_ratings: int, n_users: int, n_movies: int, per_user: int) -> None:
    for layout in SYNTH_LAYOUTS:
        counts = write_synthetic(tmp_path / layout, layout, n_ratings, n_users, n_movies)
        ratings = _ratings(tmp_path / layout, layout)
        assert counts["ratings"] == len(ratings) == n_ratings
        assert not ratings.duplicated(["user", "movie"]).any()
        assert ratings.groupby("user").size().min() >= per_user
        assert len(_movies(tmp_path / layout, layout)) == n_movies


@pytest.mark.parametrize(
    ("layout", "n_ratings", "n_users", "n_movies", "seed"),
    [
        ("ml-10m", 100, 10, 10, 0),
        ("ml-1m", 101, 10, 10, 0),  # more ratings than distinct (user, movie) pairs
        ("ml-1m", 9, 10, 10, 0),  # fewer ratings than users
        ("ml-25m", 0, 1, 1, 0),
        ("ml-25m", 10, 0, 10, 0),
        ("ml-100k", 10, 10, 0, 0),
        ("ml-100k", 10, 10, 10, -1),
        ("ml-100k", 10.0, 10, 10, 0),
    ],
)
def test_bad_arguments(tmp_path: Path, layout: str, n_ratings: int, n_users: int, n_movies: int, seed: int) -> None:
    with pytest.raises(ValueError) as error:
        write_synthetic(tmp_path / "out", layout, n_ratings, n_users, n_movies, seed=seed)
    assert "\n" not in str(error.value)
    assert not (tmp_path / "out").exists()
