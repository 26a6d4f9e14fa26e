"""Synthetic data sets in the MovieLens file layouts, for tests and scale benchmarks (no real data).

`write_synthetic` writes an ml-100k, ml-1m or ml-25m (the CSV layout of ml-latest-small, ml-20m and
ml-25m) folder with the official file formats. The data has MovieLens' shape: long-tailed movie
popularity and user activity (at least 20 ratings a user where the sizes allow), unique (user, movie)
pairs, users joining over several years with each one's ratings spread in time, and stars drawn from
movie quality, user bias and a low-rank user x movie taste, so models beat the global mean.

The world (`synth_world`) is drawn first, then the movie and user files (`synth_movies_users`), then
the ratings in chunks of users (`synth_ratings`): 25 million ratings (ml-25m's sizes) take about
20-30 s on one core and ~300 MB of memory.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recexplore.data.synth_movies_users import write_csv_extras, write_movies, write_users
from recexplore.data.synth_ratings import write_ratings
from recexplore.data.synth_world import LAYOUT_SPECS, make_world, user_counts

SYNTH_LAYOUTS = ("ml-100k", "ml-1m", "ml-25m")  # the file layouts write_synthetic can write


def _check(layout: str, n_ratings: int, n_users: int, n_movies: int, seed: int) -> None:
    if layout not in LAYOUT_SPECS:
        raise ValueError(f"unknown layout {layout!r}: expected one of {', '.join(SYNTH_LAYOUTS)}")
    sizes = {"n_ratings": n_ratings, "n_users": n_users, "n_movies": n_movies, "seed": seed}
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {value!r}")
        if value < (0 if name == "seed" else 1):
            raise ValueError(f"{name} must be at least {0 if name == 'seed' else 1}, got {value}")
    n_ratings, n_users, n_movies = int(n_ratings), int(n_users), int(n_movies)  # no numpy overflow below
    if n_ratings < n_users:
        raise ValueError(f"{n_ratings} ratings cannot cover {n_users} users (every user rates at least once)")
    if n_ratings > n_users * n_movies:
        raise ValueError(f"{n_ratings} ratings exceed {n_users} users x {n_movies} movies (pairs are unique)")


def write_synthetic(
    out: Path, layout: str, n_ratings: int, n_users: int, n_movies: int, seed: int = 0
) -> dict[str, int]:
    """Write a synthetic data set in `layout` into folder `out` (created).

    Returns {"ratings", "users", "movies"}: the counts actually written.
    """
    _check(layout, n_ratings, n_users, n_movies, seed)
    out = Path(out)
    spec = LAYOUT_SPECS[layout]
    world_seed, ratings_seed, files_seed = np.random.SeedSequence(int(seed)).spawn(3)
    rng = np.random.default_rng(world_seed)
    counts = user_counts(rng, int(n_ratings), int(n_users), int(n_movies))
    w = make_world(rng, spec, counts, int(n_movies))
    out.mkdir(parents=True, exist_ok=True)
    files = np.random.default_rng(files_seed)
    write_movies(out, layout, files, w)
    if layout == "ml-25m":
        write_csv_extras(out, files, w, int(n_ratings))
    else:
        write_users(out, layout, files, int(n_users))
    if layout == "ml-100k":
        info = f"{n_users} users\n{n_movies} items\n{n_ratings} ratings\n"
        (out / "u.info").write_text(info, encoding="latin-1")
    written = write_ratings(out, layout, ratings_seed, w, spec)
    return {"ratings": written, "users": int(n_users), "movies": int(n_movies)}
