"""A seeded k-fold split of MovieLens in the official `uN.base` / `uN.test` format.

`python -m recexplore folds --out DIR` copies the data set's files into DIR and writes
u1..u5: the ratings shuffled with the seed and cut into 5 disjoint test parts, each fold
training on the other four (as GroupLens' own u1-u5, but reproducible from a seed of yours).
Every command then runs on them with `--data DIR --split u1` ... `u5`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from recexplore.data.movielens import DataError, MovieLens

N_FOLDS = 5
EXTRA_FILES = ("u.genre", "u.occupation", "u.info", "README", "README.txt", "links.csv", "tags.csv")  # when present


def fold_names(k: int = N_FOLDS) -> list[str]:
    """u1 .. uk."""
    return [f"u{i}" for i in range(1, k + 1)]


def _write_ratings(path: Path, rows: pd.DataFrame) -> None:
    """Tab-separated user, movie, rating, timestamp, sorted by user then movie (GroupLens' order);
    stars as written in the data set (4, or 3.5 where it has half stars)."""
    ordered = rows.sort_values(["user_id", "movie_id"], kind="stable")
    lines = [
        f"{u}\t{m}\t{r:g}\t{t}"
        for u, m, r, t in zip(
            ordered["user_id"], ordered["movie_id"], ordered["user_rating"], ordered["timestamp"], strict=True
        )
    ]
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")


def write_folds(data: MovieLens, out: Path, seed: int = 42, k: int = N_FOLDS) -> list[str]:
    """Copy `data`'s files into `out` (new or empty) and write a seeded k-fold split there.

    Returns:
        The fold names, u1..uk.

    Raises:
        DataError: `out` holds other files, or k is not 2-5.
    """
    if not 2 <= k <= N_FOLDS:
        raise DataError(f"the number of folds must be from 2 to {N_FOLDS} (the loader knows u1..u{N_FOLDS}), got {k}")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DataError(f"{out} is not a new or empty folder: the folds need a folder of their own.")
    out.mkdir(parents=True, exist_ok=True)
    for name in (*data.source.layout.core_files, *EXTRA_FILES):
        if (data.folder / name).is_file():
            shutil.copyfile(data.folder / name, out / name)
    order = np.random.default_rng(seed).permutation(len(data.ratings))
    parts = np.array_split(order, k)
    for name, test_rows in zip(fold_names(k), parts, strict=True):
        held_out = np.zeros(len(data.ratings), dtype=bool)
        held_out[test_rows] = True
        _write_ratings(out / f"{name}.base", data.ratings.loc[~held_out])
        _write_ratings(out / f"{name}.test", data.ratings.loc[held_out])
    return fold_names(k)
