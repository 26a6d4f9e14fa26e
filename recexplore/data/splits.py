"""Every split of the ratings, in one place: seeded random, the official folds (u1..u5, ua, ub),
seeded k folds written in the official format, time-ordered splits for next-movie models, and the
validation slice of a training part that tuning reads (never the test part).

k folds: A seeded k-fold split of MovieLens in the official `uN.base` / `uN.test` format.

`python -m recexplore folds --out DIR` copies the data set's files into DIR and writes
u1..u5: the ratings shuffled with the seed and cut into 5 disjoint test parts, each fold
training on the other four (as GroupLens' own u1-u5, but reproducible from a seed of yours).
Every command then runs on them with `--data DIR --split u1` ... `u5`.

Time-ordered: Order: a user's ratings sorted by timestamp; ratings in the same second (MovieLens users often
rate many movies at once) are ordered by the lower movie id first. That is the stated tie rule
of every sequence here: arbitrary, but fixed and never using the future.

Splits (names `make_split` accepts beside 'random' and the official folds):
- `last-out`: for each user with at least MIN_RATINGS ratings, the last rating is the test
  target; everything before it is training (the history, and the validation target).
- `last-out-val`: the same users' second-to-last rating is the target and only what precedes
  it is training (tuning never sees the test targets).
- `temporal`: one global cut at the TEMPORAL_QUANTILE of all timestamps: training is every rating
  before the cut; the target of each user who rated before and after it is their first rating
  after the cut (the next movie, as seen from the cut).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recexplore.data.movielens import OFFICIAL_SPLITS, RANDOM_SPLIT, DataError, MovieLens
from recexplore.data.parse_ratings import parse_ratings


@dataclass(frozen=True)
class Split:
    """A train/test partition of the ratings frame."""

    name: str
    seed: int
    train: pd.DataFrame
    test: pd.DataFrame

    def describe(self) -> dict[str, object]:
        """Plain-data summary stored beside models."""
        return {
            "name": self.name,
            "seed": self.seed,
            "train_rows": len(self.train),
            "test_rows": len(self.test),
        }


def make_split(data: MovieLens, name: str = RANDOM_SPLIT, seed: int = 42, test_fraction: float = 0.2) -> Split:
    """A deterministic train/test split.

    Args:
        data: the parsed data set.
        name: 'random' (seeded shuffle), an official fold u1..u5, ua, ub, or a time-ordered split
            ('last-out', 'last-out-val', 'temporal': below).
        seed: shuffle seed for 'random'.
        test_fraction: held-out share for 'random'.

    Returns:
        The split; the same arguments always give the same rows.

    Raises:
        DataError: unknown split name, or fold files missing from the folder.
    """
    if name == RANDOM_SPLIT:
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
        order = np.random.default_rng(seed).permutation(len(data.ratings))
        n_test = int(round(len(order) * test_fraction))
        test_idx, train_idx = np.sort(order[:n_test]), np.sort(order[n_test:])
        return Split(
            name,
            seed,
            data.ratings.iloc[train_idx].reset_index(drop=True),
            data.ratings.iloc[test_idx].reset_index(drop=True),
        )
    from recexplore.data.splits import SEQUENTIAL_SPLITS, split_rows

    if name in SEQUENTIAL_SPLITS:  # time-ordered: the same rows whatever the seed
        train, held_out = split_rows(data.ratings, name)
        return Split(name, seed, train, held_out)
    if name not in OFFICIAL_SPLITS:
        known = ", ".join((*OFFICIAL_SPLITS, *SEQUENTIAL_SPLITS))
        raise DataError(f"Unknown split {name!r}: use 'random' or one of {known}.")
    base, test = data.folder / f"{name}.base", data.folder / f"{name}.test"
    if not (base.is_file() and test.is_file()):
        raise DataError(f"Split {name!r} needs {base.name} and {test.name} in {data.folder}; they are not there.")
    layout = data.source.layout
    train, held_out = parse_ratings(base, layout), parse_ratings(test, layout)
    _check_fold(data, name, train, held_out)
    return Split(name, seed, train, held_out)


def _check_fold(data: MovieLens, name: str, train: pd.DataFrame, test: pd.DataFrame) -> None:
    """A fold must speak of the data's users and movies, and never hold one rating on both sides."""
    for part, rows in ((f"{name}.base", train), (f"{name}.test", test)):
        for column, known in (("user_id", data.users), ("movie_id", data.movies)):
            unknown = ~rows[column].isin(known[column]).to_numpy()
            if unknown.any():
                line = int(np.argmax(unknown)) + 1
                raise DataError(f"{part}: line {line}: {column} {rows[column].iloc[line - 1]} is not in the data set.")
    both = train.merge(test, on=["user_id", "movie_id"])
    if len(both):
        row = both.iloc[0]
        raise DataError(
            f"{name}.base and {name}.test both hold user {row['user_id']}'s rating of movie "
            f"{row['movie_id']}: the test part would leak into training."
        )


VALIDATION_FRACTION = 0.1  # the share of a training part held out as a validation slice


def validation_slice(
    train: pd.DataFrame, seed: int, fraction: float = VALIDATION_FRACTION
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out a seeded slice of the training split for early stopping."""
    order = np.random.default_rng(seed + 1).permutation(len(train))
    n_val = int(round(len(order) * fraction))
    return (
        train.iloc[np.sort(order[n_val:])].reset_index(drop=True),
        train.iloc[np.sort(order[:n_val])].reset_index(drop=True),
    )


LAST_OUT = "last-out"


LAST_OUT_VALIDATION = "last-out-val"


TEMPORAL = "temporal"


SEQUENTIAL_SPLITS = (LAST_OUT, LAST_OUT_VALIDATION, TEMPORAL)


MIN_RATINGS = 5  # users with fewer ratings have no target (all their ratings are training)


TEMPORAL_QUANTILE = 0.8


def time_ordered(ratings: pd.DataFrame) -> pd.DataFrame:
    """`ratings` sorted by user, timestamp and movie id (the tie rule), index reset."""
    return ratings.sort_values(["user_id", "timestamp", "movie_id"], kind="mergesort").reset_index(drop=True)


def validation_split(split: Split, seed: int) -> Split:
    """What tuning reads in place of `split`: its training part alone, cut the way `split` was cut.

    A random or official split: a seeded slice of its training part held out (`validation_slice`).
    A time-ordered one: the same cut applied to its training part ('last-out': each user's last
    training rating, the one before the held-out one, as 'last-out-val'; 'temporal': the cut at the
    same quantile of the training part's time). Never a row of `split.test`. The name stays the split's own (a family
    that trains only on time-ordered splits accepts it).
    """
    if split.name in SEQUENTIAL_SPLITS:  # the training part's own last rating: the one before the held-out one
        train, held = temporal_cut(split.train) if split.name == TEMPORAL else leave_last_out(split.train)
    else:
        train, held = validation_slice(split.train, seed)
    return Split(split.name, split.seed, train, held)


def leave_last_out(ratings: pd.DataFrame, validation: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training rows, one target row per eligible user): the last rating, or with `validation`
    the one before it, whose training rows are then only those before it."""
    ordered = time_ordered(ratings)
    from_end = ordered.groupby("user_id").cumcount(ascending=False).to_numpy()
    eligible = ordered.groupby("user_id")["user_id"].transform("size").to_numpy() >= MIN_RATINGS
    target = eligible & (from_end == (1 if validation else 0))
    keep = ~eligible | (from_end > (1 if validation else 0))
    return ordered[keep].reset_index(drop=True), ordered[target].reset_index(drop=True)


def temporal_cut(ratings: pd.DataFrame, quantile: float = TEMPORAL_QUANTILE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ratings before the cut, each user's first rating at or after it, for users with both)."""
    ordered = time_ordered(ratings)
    cut = float(np.quantile(ordered["timestamp"].to_numpy(), quantile))
    before = ordered[ordered["timestamp"] < cut]
    after = ordered[(ordered["timestamp"] >= cut) & ordered["user_id"].isin(before["user_id"].unique())]
    return before.reset_index(drop=True), after.groupby("user_id", sort=True).head(1).reset_index(drop=True)


def split_rows(ratings: pd.DataFrame, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (train, test) rows of a sequential split by name."""
    if name == LAST_OUT:
        return leave_last_out(ratings)
    if name == LAST_OUT_VALIDATION:
        return leave_last_out(ratings, validation=True)
    if name == TEMPORAL:
        return temporal_cut(ratings)
    raise ValueError(f"not a sequential split: {name!r}")


def fold_splits(data: MovieLens, n: int) -> list[str]:
    """The first `n` of the official folds u1..u5 in the data folder; DataError when they are not there."""
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= len(FOLDS):
        raise ValueError(f"folds must be a whole number from 1 to {len(FOLDS)}, got {n!r}")
    present = [s for s in data.available_splits() if s in FOLDS]
    if len(present) < n:
        has = ", ".join(present) or "none"
        raise DataError(
            f"{n} folds need the official folds {', '.join(FOLDS[:n])} in the data folder (it has {has}): "
            "use the full ml-100k folder, or write seeded ones with `python -m recexplore folds --out DIR`"
        )
    return present[:n]


N_FOLDS = 5
FOLDS = OFFICIAL_SPLITS[:N_FOLDS]  # u1..u5: disjoint test parts, so their spread is the between-fold noise


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
