"""Synthetic movie and user files: titles, genres, demographics, links and tags in each layout's format."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from recexplore.data.sources import ML100K_LAYOUT
from recexplore.data.synth_world import CLUSTERS, World

# The 18 genres every layout shares, in ml-100k's flag order (after "Unknown"); names differ per layout.
_GENRES = ML100K_LAYOUT.genres[1:]
_ML1M_GENRES = tuple("Children's" if g == "Children" else g for g in _GENRES)
_NO_GENRES = "(no genres listed)"  # the csv layout's value for a movie without genres
_OCCUPATIONS_100K = (
    "administrator",
    "artist",
    "doctor",
    "educator",
    "engineer",
    "entertainment",
    "executive",
    "healthcare",
    "homemaker",
    "lawyer",
    "librarian",
    "marketing",
    "none",
    "other",
    "programmer",
    "retired",
    "salesman",
    "scientist",
    "student",
    "technician",
    "writer",
)
_AGES_1M = (1, 18, 25, 35, 45, 50, 56)
_AGE_SHARES_1M = (0.037, 0.183, 0.347, 0.198, 0.091, 0.082, 0.062)
_WORDS = tuple(
    "Night Love Star Day City Dark Return Story King Game Blue War River House Summer Ghost Heart Road Secret Dream"
    " Fire Island Girl Man Time Storm Lost Last Silent Wild Golden Empire Shadow Angel".split()
)
_SUBTITLES = ("Episode IV", "The Return", "Part II", "A New Hope", "The Beginning", "Revenge", "Redemption")
_LATIN1_WORDS = ("Café", "Niño", "Señor", "Amélie", "Mädchen", "Garçon", "Misérables", "Déjà Vu", "Øresund")
_UNICODE_WORDS = ("Łódź", "Ōsaka", "Žižek", "Şehir", "Ærø", "Dvořák")  # beyond Latin-1, for the UTF-8 csv layout
_TAGS = ("funny", "dark comedy", "based on a book", "sci-fi", "twist ending", "classic", "atmospheric")


def _genres(rng: np.random.Generator, w: World) -> np.ndarray:
    """(movies, 18) genre flags: one genre from the movie's taste cluster, sometimes one or two more."""
    m = w.movie_ids.size
    flags = np.zeros((m, len(_GENRES)), dtype=bool)
    group_size = (len(_GENRES) - w.cluster + CLUSTERS - 1) // CLUSTERS  # genres c, c + 8, c + 16, ...
    home = w.cluster + CLUSTERS * (rng.random(m) * group_size).astype(np.int64)
    flags[np.arange(m), home] = True
    for share in (0.5, 0.2):
        more = rng.random(m) < share
        flags[np.flatnonzero(more), rng.integers(0, len(_GENRES), int(more.sum()))] = True
    return flags


def _titles(rng: np.random.Generator, w: World, layout: str) -> list[str]:
    """MovieLens-style titles: some "Name, The", some with a colon, some with Latin-1 (or other non-ASCII)."""
    m = w.movie_ids.size
    a, b = rng.integers(0, len(_WORDS), m), rng.integers(0, len(_WORDS), m)
    kind = rng.random(m)
    special = rng.choice(m, size=min(m, 6), replace=False)  # small data sets still get each kind once
    kind[special] = (0.01, 0.05, 0.12, 0.2, 0.3, 0.001)[: special.size]
    titles = []
    for i in range(m):
        title = f"{_WORDS[a[i]]} {_WORDS[b[i]]}"
        if kind[i] < 0.04:  # a Latin-1 (csv: sometimes wider Unicode) word
            words = _UNICODE_WORDS if layout == "ml-25m" and kind[i] < 0.015 else _LATIN1_WORDS
            title = f"{words[a[i] % len(words)]} {_WORDS[b[i]]}"
        elif kind[i] < 0.10:
            title = f"{title}: {_SUBTITLES[b[i] % len(_SUBTITLES)]}"
        elif kind[i] < 0.18:
            title = f"{title}, The"
        elif kind[i] < 0.21:
            title = f"{_WORDS[a[i]]}, {_WORDS[b[i]]} and Me"
        if layout == "ml-25m" and kind[i] < 0.002:
            title = f'"{title}" Live'  # a quoted title, written with doubled quotes by the csv module
        no_year = layout == "ml-25m" and (0.295 < kind[i] < 0.305)
        titles.append(title if no_year else f"{title} ({w.years[i]})")
    return titles


def write_movies(out: Path, layout: str, rng: np.random.Generator, w: World) -> None:
    """The movies file of `layout` (u.item, movies.dat or movies.csv): titles, release years, genres."""
    flags = _genres(rng, w)
    titles = _titles(rng, w, layout)
    ids = w.movie_ids.tolist()
    if layout == "ml-100k":
        unknown = rng.random(ids.__len__()) < 0.002
        lines = []
        for i, (mid, title) in enumerate(zip(ids, titles, strict=True)):
            row = [False, *flags[i]] if not unknown[i] else [True, *([False] * len(_GENRES))]
            year = w.years[i]
            lines.append(
                f"{mid}|{title}|01-Jan-{year}||http://example.invalid/{mid}|" + "|".join("1" if g else "0" for g in row)
            )
        (out / "u.item").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    elif layout == "ml-1m":
        lines = [
            f"{mid}::{title}::" + "|".join(g for g, on in zip(_ML1M_GENRES, flags[i], strict=True) if on)
            for i, (mid, title) in enumerate(zip(ids, titles, strict=True))
        ]
        (out / "movies.dat").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    else:
        none = rng.random(len(ids)) < 0.015
        if len(ids) >= 10:
            none[rng.integers(len(ids))] = True
        imax = rng.random(len(ids)) < 0.03
        with open(out / "movies.csv", "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["movieId", "title", "genres"])
            for i, (mid, title) in enumerate(zip(ids, titles, strict=True)):
                names = [g for g, on in zip(_GENRES, flags[i], strict=True) if on] + (["IMAX"] if imax[i] else [])
                writer.writerow([mid, title, _NO_GENRES if none[i] else "|".join(sorted(names))])


def write_users(out: Path, layout: str, rng: np.random.Generator, n_users: int) -> None:
    """The users file of `layout` (u.user with u.occupation and u.genre, or users.dat): demographics."""
    ids = range(1, n_users + 1)
    gender = np.where(rng.random(n_users) < 0.71, "M", "F")
    zips = rng.integers(1000, 99999, n_users)
    if layout == "ml-100k":
        ages = np.clip(np.rint(rng.triangular(7, 27, 73, n_users)), 7, 73).astype(int)
        jobs = rng.integers(0, len(_OCCUPATIONS_100K), n_users)
        lines = [f"{u}|{ages[i]}|{gender[i]}|{_OCCUPATIONS_100K[jobs[i]]}|{zips[i]:05d}" for i, u in enumerate(ids)]
        (out / "u.user").write_text("\n".join(lines) + "\n", encoding="latin-1")
        (out / "u.occupation").write_text("".join(f"{o}\n" for o in _OCCUPATIONS_100K), encoding="latin-1")
        names = ("unknown", *(g if g != "Children" else "Children's" for g in _GENRES))
        (out / "u.genre").write_text("".join(f"{g}|{i}\n" for i, g in enumerate(names)) + "\n", encoding="latin-1")
    else:
        ages = rng.choice(np.array(_AGES_1M), size=n_users, p=np.array(_AGE_SHARES_1M) / sum(_AGE_SHARES_1M))
        jobs = rng.integers(0, 21, n_users)
        plus4 = rng.random(n_users) < 0.02
        tails = rng.integers(0, 10000, n_users)
        lines = [
            f"{u}::{gender[i]}::{ages[i]}::{jobs[i]}::{zips[i]:05d}" + (f"-{tails[i]:04d}" if plus4[i] else "")
            for i, u in enumerate(ids)
        ]
        (out / "users.dat").write_text("\n".join(lines) + "\n", encoding="latin-1")


def write_csv_extras(out: Path, rng: np.random.Generator, w: World, n_ratings: int) -> None:
    """links.csv for every movie and a few rows of tags.csv, as in the real csv folders."""
    m = w.movie_ids.size
    imdb = 100000 + np.sort(rng.choice(9_000_000, size=m, replace=False))
    tmdb = rng.permutation(m) * 3 + 2 + rng.integers(0, 3, m)
    missing = rng.random(m) < 0.002
    with open(out / "links.csv", "w", encoding="utf-8", newline="") as f:
        f.write("movieId,imdbId,tmdbId\n")
        f.writelines(
            f"{mid},{imdb[i]:07d},{'' if missing[i] else tmdb[i]}\n" for i, mid in enumerate(w.movie_ids.tolist())
        )
    n_tags = min(n_ratings, 10 + n_ratings // 1000)
    users = np.sort(rng.integers(0, w.counts.size, n_tags))
    movies = rng.choice(m, size=n_tags, p=w.popularity)
    order = np.lexsort((movies, users))
    users, movies = users[order], movies[order]
    when = w.start[users] + (w.span[users] * rng.random(n_tags)).astype(np.int64)
    tags = rng.integers(0, len(_TAGS), n_tags)
    with open(out / "tags.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["userId", "movieId", "tag", "timestamp"])
        writer.writerows(
            [int(users[i]) + 1, int(w.movie_ids[movies[i]]), _TAGS[tags[i]], int(when[i])] for i in range(n_tags)
        )
