"""Tests for recexplore.data.movielens: sources, parsing, parse cache, errors and splits."""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recexplore.data import loading
from recexplore.data import movielens as data_mod
from recexplore.data.loading import load_movielens
from recexplore.data.locate import resolve_folder
from recexplore.data.movielens import AGE_BUCKETS, GENRES, DataError, MovieLens
from recexplore.data.parse import parse_folder
from recexplore.data.parse_movies_users import bucketize_age
from recexplore.data.splits import Split, make_split, validation_slice
from tests.synthetic import OCCUPATIONS, write_fold

N_RATINGS, N_MOVIES, N_USERS = 1800, 80, 60  # write_movielens defaults


# ---------------------------------------------------------------- helpers


def _lines(path: Path) -> list[str]:
    """The Latin-1 lines of a synthetic file."""
    return path.read_text(encoding="latin-1").splitlines()


def _write_lines(path: Path, lines: list[str]) -> None:
    """Write lines back in Latin-1 with a trailing newline."""
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))


def _set_field(path: Path, line_no: int, field: int, value: str, sep: str) -> None:
    """Replace one field of one (1-based) line of a delimited file."""
    lines = _lines(path)
    parts = lines[line_no - 1].split(sep)
    parts[field] = value
    lines[line_no - 1] = sep.join(parts)
    _write_lines(path, lines)


def _assert_frames_equal(a: MovieLens | dict, b: MovieLens | dict) -> None:
    """The three canonical frames of two loads are identical."""
    for name in ("ratings", "movies", "users"):
        left = a[name] if isinstance(a, dict) else getattr(a, name)
        right = b[name] if isinstance(b, dict) else getattr(b, name)
        pd.testing.assert_frame_equal(left, right)


def _one_line_error(call: Callable[[], object]) -> str:
    """Run `call`, expect a DataError and return its (single-line) message."""
    with pytest.raises(DataError) as info:
        call()
    message = str(info.value)
    assert message and "\n" not in message
    return message


@pytest.fixture
def ml_copy(ml_folder: Path, tmp_path: Path) -> Path:
    """A fresh writable copy of the synthetic folder without fold files.

    Overrides conftest's fixture of the same name: copying is much faster than
    regenerating, and write_movielens is deterministic, so the bytes are the same.
    """
    target = tmp_path / "ml-100k"
    shutil.copytree(ml_folder, target)
    for fold_file in [*target.glob("*.base"), *target.glob("*.test")]:
        fold_file.unlink()
    return target


@pytest.fixture
def ml(ml_folder: Path) -> MovieLens:
    """The synthetic data set, loaded through the public entry point."""
    return load_movielens(ml_folder, download=False)


# ---------------------------------------------------------------- parsing


def test_ratings_columns_and_dtypes(ml: MovieLens) -> None:
    """Ratings have the canonical TFDS column names and compact dtypes."""
    r = ml.ratings
    assert list(r.columns) == ["user_id", "movie_id", "user_rating", "timestamp"]
    assert r["user_id"].dtype == np.int32
    assert r["movie_id"].dtype == np.int32
    assert r["user_rating"].dtype == np.float32
    assert r["timestamp"].dtype == np.int64
    assert r["user_rating"].between(1, 5).all()
    assert set(r["user_rating"].unique()) <= {1.0, 2.0, 3.0, 4.0, 5.0}


def test_ratings_values_match_first_line(ml: MovieLens, ml_folder: Path) -> None:
    """The first parsed rating is the first line of u.data."""
    u, m, stars, ts = (int(x) for x in _lines(ml_folder / "u.data")[0].split("\t"))
    first = ml.ratings.iloc[0]
    assert (first["user_id"], first["movie_id"], first["user_rating"], first["timestamp"]) == (u, m, stars, ts)


def test_movies_columns_dtypes_and_genres(ml: MovieLens) -> None:
    """Movies carry id, title, a tuple of genre names and an int32 year."""
    mv = ml.movies
    assert list(mv.columns) == ["movie_id", "movie_title", "movie_genres", "year"]
    assert mv["movie_id"].dtype == np.int32
    assert mv["year"].dtype == np.int32
    assert pd.api.types.is_string_dtype(mv["movie_title"])
    assert all(isinstance(g, tuple) and set(g) <= set(GENRES) for g in mv["movie_genres"])
    by_id = mv.set_index("movie_id")
    assert by_id.loc[1, "movie_title"] == "Night Night 0 (1990)"
    assert by_id.loc[1, "movie_genres"] == ("Action",)
    # flags 2 and 6 are on: names come in u.genre order
    assert by_id.loc[2, "movie_genres"] == ("Adventure", "Crime")
    assert by_id.loc[2, "year"] == 1991
    assert by_id.loc[80, "year"] == 1990 + 79 % 8


def test_users_columns_and_dtypes(ml: MovieLens) -> None:
    """Users carry the canonical columns, with labels over the sorted occupations."""
    us = ml.users
    assert list(us.columns) == [
        "user_id",
        "raw_user_age",
        "bucketized_user_age",
        "user_gender",
        "user_occupation_text",
        "user_occupation_label",
        "user_zip_code",
    ]
    assert us["user_id"].dtype == np.int32
    assert us["raw_user_age"].dtype == np.float32
    assert us["bucketized_user_age"].dtype == np.float32
    assert us["user_occupation_label"].dtype == np.int32
    for col in ("user_gender", "user_occupation_text", "user_zip_code"):
        assert pd.api.types.is_string_dtype(us[col])
    assert set(us["user_gender"]) <= {"M", "F"}
    first = us.set_index("user_id").loc[1]
    assert first["user_occupation_text"] == "engineer"
    assert first["user_zip_code"] == "10000"
    labels = {o: i for i, o in enumerate(sorted(OCCUPATIONS))}
    assert (us["user_occupation_label"] == us["user_occupation_text"].map(labels)).all()
    expected_buckets = [bucketize_age(a) for a in us["raw_user_age"]]
    assert us["bucketized_user_age"].tolist() == expected_buckets


def test_row_counts(ml: MovieLens) -> None:
    """Every line of the three core files becomes one row."""
    assert (len(ml.ratings), len(ml.movies), len(ml.users)) == (N_RATINGS, N_MOVIES, N_USERS)


def test_latin1_title_decoded(ml: MovieLens) -> None:
    """The official Latin-1 bytes decode to the accented title."""
    assert ml.movies.set_index("movie_id").loc[4, "movie_title"] == "Café Society (1993)"


def test_utf8_reencoded_item_decodes(ml_copy: Path, ml_folder: Path) -> None:
    """A u.item re-saved as UTF-8 parses to the same frames."""
    item = ml_copy / "u.item"
    item.write_bytes(item.read_bytes().decode("latin-1").encode("utf-8"))
    assert "Café".encode() in item.read_bytes()
    reencoded = load_movielens(ml_copy, download=False)
    assert reencoded.movies.set_index("movie_id").loc[4, "movie_title"] == "Café Society (1993)"
    _assert_frames_equal(reencoded, parse_folder(ml_folder))


def test_empty_release_date_gives_year_zero(ml_copy: Path) -> None:
    """A movie without a release date (as in the real catalogue) gets year 0."""
    _set_field(ml_copy / "u.item", 5, 2, "", "|")
    movies = load_movielens(ml_copy, download=False).movies.set_index("movie_id")
    assert movies.loc[5, "year"] == 0
    assert movies.loc[6, "year"] == 1995


def test_joined_adds_movie_and_user_columns(ml: MovieLens) -> None:
    """joined() keeps one row per rating with movie and user features."""
    joined = ml.joined()
    assert len(joined) == N_RATINGS
    assert {"movie_title", "movie_genres", "user_gender", "user_occupation_text"} <= set(joined.columns)
    assert joined["movie_title"].notna().all() and joined["user_gender"].notna().all()


# ---------------------------------------------------------------- fingerprint and cache


def test_fingerprint_stable(ml_folder: Path, ml_copy: Path) -> None:
    """Same bytes -> same fingerprint, across parses and across folders."""
    a = load_movielens(ml_folder, download=False).fingerprint
    assert a == parse_folder(ml_folder)["fingerprint"]
    assert a == load_movielens(ml_copy, download=False).fingerprint
    assert len(a) == 16 and int(a, 16) >= 0


def test_fingerprint_changes_when_file_changes(ml_copy: Path) -> None:
    """Editing u.data is noticed: new fingerprint and new frames, not the stale cache."""
    before = load_movielens(ml_copy, download=False)
    _write_lines(ml_copy / "u.data", _lines(ml_copy / "u.data")[:-1])
    after = load_movielens(ml_copy, download=False)
    assert after.fingerprint != before.fingerprint
    assert len(after.ratings) == N_RATINGS - 1


def test_fingerprint_changes_on_same_size_edit(ml_copy: Path) -> None:
    """A same-size edit with a new modification time is also picked up."""
    before = load_movielens(ml_copy, download=False)
    path = ml_copy / "u.user"
    _set_field(path, 1, 2, "F" if before.users.iloc[0]["user_gender"] == "M" else "M", "|")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    after = load_movielens(ml_copy, download=False)
    assert after.fingerprint != before.fingerprint
    assert after.users.iloc[0]["user_gender"] != before.users.iloc[0]["user_gender"]


def test_warm_load_uses_parse_cache(ml_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second load reads the .npz cache instead of parsing, and returns equal frames."""
    cold = load_movielens(ml_folder, download=False)
    assert list((data_mod.cache_dir() / "parsed").glob("*.npz"))

    def _no_parse(folder: Path, *args: object) -> dict:
        raise AssertionError("parse_folder called on a warm cache")

    monkeypatch.setattr(loading, "parse_folder", _no_parse)
    warm = load_movielens(ml_folder, download=False)
    _assert_frames_equal(cold, warm)
    assert warm.fingerprint == cold.fingerprint
    assert warm.folder == cold.folder


def test_cache_reparses_after_change(ml_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed file misses the cache, so parse_folder runs again."""
    calls: list[Path] = []
    real = loading.parse_folder

    def _counting(folder: Path, *args: object) -> dict:
        calls.append(folder)
        return real(folder, *args)

    monkeypatch.setattr(loading, "parse_folder", _counting)
    load_movielens(ml_copy, download=False)
    load_movielens(ml_copy, download=False)
    assert len(calls) == 1
    _write_lines(ml_copy / "u.data", _lines(ml_copy / "u.data")[:-2])
    load_movielens(ml_copy, download=False)
    assert len(calls) == 2


def test_corrupt_cache_is_ignored(ml_folder: Path) -> None:
    """A damaged cache file only costs a reparse."""
    first = load_movielens(ml_folder, download=False)
    for cached in (data_mod.cache_dir() / "parsed").glob("*.npz"):
        cached.write_bytes(b"not an npz file")
    again = load_movielens(ml_folder, download=False)
    _assert_frames_equal(first, again)


# ---------------------------------------------------------------- sources


def _zip_folder(folder: Path, target: Path, prefix: str = "ml-100k/") -> Path:
    """Zip every file of `folder` under `prefix`."""
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, prefix + path.name)
    return target


def test_zip_input(ml_folder: Path, tmp_path: Path) -> None:
    """An ml-100k zip is extracted into the cache and parses like the folder."""
    zipped = _zip_folder(ml_folder, tmp_path / "ml-100k.zip")
    from_zip = load_movielens(zipped, download=False)
    _assert_frames_equal(from_zip, parse_folder(ml_folder))
    assert from_zip.fingerprint == parse_folder(ml_folder)["fingerprint"]
    assert from_zip.folder.is_relative_to(data_mod.cache_dir().resolve())
    assert from_zip.available_splits() == ["random", "u1"]
    # a second resolve reuses the extraction
    assert resolve_folder(zipped) == resolve_folder(zipped)


def test_zip_without_core_files(ml_folder: Path, tmp_path: Path) -> None:
    """A zip lacking u.user is refused with a DataError."""
    target = tmp_path / "partial.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for name in ("u.data", "u.item"):
            archive.write(ml_folder / name, "ml-100k/" + name)
    message = _one_line_error(lambda: load_movielens(target, download=False))
    assert "u.user" in message


def test_resolve_folder_variants(ml_folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A folder, its parent holding ml-100k/, and RECEXPLORE_DATA_DIR all resolve."""
    assert resolve_folder(ml_folder).resolve() == ml_folder.resolve()
    assert resolve_folder(ml_folder.parent).resolve() == ml_folder.resolve()
    assert resolve_folder(str(ml_folder)).resolve() == ml_folder.resolve()
    monkeypatch.setenv(data_mod.DATA_ENV, str(ml_folder.parent))
    assert resolve_folder(None, download=False).resolve() == ml_folder.resolve()
    # an explicit path wins over the environment
    monkeypatch.setenv(data_mod.DATA_ENV, str(tmp_path / "nowhere"))
    assert resolve_folder(ml_folder, download=False).resolve() == ml_folder.resolve()


def test_missing_folder(tmp_path: Path) -> None:
    """A path that does not exist is a one-line DataError naming it."""
    missing = tmp_path / "nope"
    assert str(missing) in _one_line_error(lambda: resolve_folder(missing))


def test_missing_core_file(ml_copy: Path) -> None:
    """A folder without u.user names the missing file."""
    (ml_copy / "u.user").unlink()
    message = _one_line_error(lambda: load_movielens(ml_copy, download=False))
    assert "missing u.user" in message
    assert "u.data" not in message


def test_not_a_zip(tmp_path: Path) -> None:
    """A plain file that is not a zip is refused."""
    bogus = tmp_path / "ml-100k.zip"
    bogus.write_text("hello")
    assert "not a zip" in _one_line_error(lambda: resolve_folder(bogus))


def test_nothing_configured_without_download() -> None:
    """No path, no environment, no previous download and download=False -> DataError."""
    assert data_mod.DATA_ENV not in os.environ
    message = _one_line_error(lambda: resolve_folder(None, download=False))
    assert data_mod.DATA_ENV in message
    _one_line_error(lambda: load_movielens(download=False))


def test_previous_download_is_used(ml_folder: Path) -> None:
    """A complete cache/downloads/ml-100k folder is found without a path."""
    target = data_mod.cache_dir() / "downloads" / "ml-100k"
    shutil.copytree(ml_folder, target)
    assert resolve_folder(None, download=False) == target


# ---------------------------------------------------------------- malformed files


def _wrong_fields(folder: Path) -> None:
    lines = _lines(folder / "u.data")
    lines[2] = "1\t2\t3"
    _write_lines(folder / "u.data", lines)


def _user_fields(folder: Path) -> None:
    lines = _lines(folder / "u.user")
    lines[1] += "|extra"
    _write_lines(folder / "u.user", lines)


def _dup_movie(folder: Path) -> None:
    _set_field(folder / "u.item", 10, 0, "1", "|")


def _dup_user(folder: Path) -> None:
    _set_field(folder / "u.user", 8, 0, "3", "|")


def _blank_middle(folder: Path) -> None:
    lines = _lines(folder / "u.data")
    lines.insert(4, "")
    _write_lines(folder / "u.data", lines)


BAD_FILES: list[tuple[str, Callable[[Path], None], list[str]]] = [
    ("wrong field count", _wrong_fields, ["u.data", "line 3", "expected 4 fields", "found 3"]),
    ("blank line inside", _blank_middle, ["u.data", "line 5"]),
    ("user field count", _user_fields, ["u.user", "line 2", "expected 5 fields"]),
    (
        "non-integer user id",
        lambda f: _set_field(f / "u.data", 5, 0, "x", "\t"),
        ["u.data", "line 5", "user_id 'x'", "not an integer"],
    ),
    ("non-integer movie id", lambda f: _set_field(f / "u.data", 6, 1, "abc", "\t"), ["u.data", "line 6", "movie_id"]),
    (
        "fractional rating",
        lambda f: _set_field(f / "u.data", 9, 2, "3.5", "\t"),
        ["u.data", "line 9", "user_rating", "not an integer"],
    ),
    ("rating 0", lambda f: _set_field(f / "u.data", 7, 2, "0", "\t"), ["u.data", "line 7", "rating 0", "outside 1-5"]),
    ("rating 6", lambda f: _set_field(f / "u.data", 7, 2, "6", "\t"), ["u.data", "line 7", "rating 6", "outside 1-5"]),
    ("bad timestamp", lambda f: _set_field(f / "u.data", 11, 3, "soon", "\t"), ["u.data", "line 11", "timestamp"]),
    ("bad item id", lambda f: _set_field(f / "u.item", 2, 0, "two", "|"), ["u.item", "line 2", "movie_id 'two'"]),
    ("genre flag 2", lambda f: _set_field(f / "u.item", 4, 7, "2", "|"), ["u.item", "line 4", "genre flags"]),
    ("duplicate movie id", _dup_movie, ["u.item", "line 10", "duplicate movie_id 1"]),
    ("duplicate user id", _dup_user, ["u.user", "line 8", "duplicate user_id 3"]),
    ("bad gender", lambda f: _set_field(f / "u.user", 6, 2, "X", "|"), ["u.user", "line 6", "gender 'X'"]),
    ("bad age", lambda f: _set_field(f / "u.user", 3, 1, "old", "|"), ["u.user", "line 3", "age"]),
    (
        "unknown user",
        lambda f: _set_field(f / "u.data", 4, 0, "999", "\t"),
        ["u.data", "line 4", "user_id 999", "u.user"],
    ),
    (
        "unknown movie",
        lambda f: _set_field(f / "u.data", 12, 1, "5000", "\t"),
        ["u.data", "line 12", "movie_id 5000", "u.item"],
    ),
    ("empty u.item", lambda f: (f / "u.item").write_bytes(b""), ["u.item", "empty"]),
    ("blank-only u.data", lambda f: (f / "u.data").write_bytes(b"\n\n  \n"), ["u.data", "empty"]),
    ("binary u.user", lambda f: (f / "u.user").write_bytes(bytes(range(256)) * 4), ["u.user", "binary"]),
    (
        "utf-16 u.data",
        lambda f: (f / "u.data").write_bytes((f / "u.data").read_text("latin-1").encode("utf-16")),
        ["u.data"],
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), [(m, e) for _, m, e in BAD_FILES], ids=[n for n, _, _ in BAD_FILES])
def test_bad_files_raise_one_line_data_error(
    ml_copy: Path, mutate: Callable[[Path], None], expected: list[str]
) -> None:
    """Each kind of damage raises a one-line DataError naming the file and the line."""
    mutate(ml_copy)
    message = _one_line_error(lambda: load_movielens(ml_copy, download=False))
    for part in expected:
        assert part in message, (part, message)


def test_bad_file_not_cached(ml_copy: Path) -> None:
    """A failed parse leaves nothing in the cache and fails again on the next load."""
    _set_field(ml_copy / "u.data", 7, 2, "0", "\t")
    _one_line_error(lambda: load_movielens(ml_copy, download=False))
    _one_line_error(lambda: load_movielens(ml_copy, download=False))
    assert not list((data_mod.cache_dir() / "parsed").glob("*.npz"))


# ---------------------------------------------------------------- age buckets


@pytest.mark.parametrize(
    ("age", "bucket"),
    [
        (0, 1),
        (1, 1),
        (7, 1),
        (17, 1),
        (18, 18),
        (24, 18),
        (25, 25),
        (34, 25),
        (35, 35),
        (44, 35),
        (45, 45),
        (49, 45),
        (50, 50),
        (55, 50),
        (56, 56),
        (73, 56),
        (17.9, 1),
        (55.5, 50),
    ],
)
def test_bucketize_age(age: float, bucket: int) -> None:
    """TFDS buckets: the largest of 1, 18, 25, 35, 45, 50, 56 not above the age."""
    assert bucketize_age(age) == bucket
    assert bucket in AGE_BUCKETS


# ---------------------------------------------------------------- splits


def _row_set(frame: pd.DataFrame) -> set[tuple]:
    return set(frame.itertuples(index=False, name=None))


def test_random_split_deterministic(ml: MovieLens) -> None:
    """The same seed gives the same rows."""
    a, b = make_split(ml, "random", seed=7), make_split(ml, "random", seed=7)
    pd.testing.assert_frame_equal(a.train, b.train)
    pd.testing.assert_frame_equal(a.test, b.test)
    assert isinstance(a, Split) and a.name == "random" and a.seed == 7


def test_random_split_differs_across_seeds(ml: MovieLens) -> None:
    """Different seeds hold out different ratings."""
    assert _row_set(make_split(ml, seed=1).test) != _row_set(make_split(ml, seed=2).test)


def test_random_split_sizes_and_partition(ml: MovieLens) -> None:
    """80/20 sizes; train and test are disjoint and together are every rating."""
    split = make_split(ml, seed=42)
    assert (len(split.train), len(split.test)) == (1440, 360)
    assert list(split.train.columns) == list(ml.ratings.columns)
    train, test, everything = _row_set(split.train), _row_set(split.test), _row_set(ml.ratings)
    assert len(everything) == N_RATINGS
    assert not train & test
    assert train | test == everything
    assert split.train.index.tolist() == list(range(1440))
    assert split.describe() == {"name": "random", "seed": 42, "train_rows": 1440, "test_rows": 360}


def test_random_split_other_fraction(ml: MovieLens) -> None:
    """test_fraction sets the held-out share; out-of-range values are refused."""
    split = make_split(ml, seed=0, test_fraction=0.1)
    assert len(split.test) == 180 and len(split.train) == 1620
    for bad in (0.0, 1.0, -0.5, 1.5):
        with pytest.raises(ValueError):
            make_split(ml, seed=0, test_fraction=bad)


def test_official_fold_reads_files(ml: MovieLens, ml_folder: Path) -> None:
    """u1 reads u1.base as train and u1.test as test."""
    split = make_split(ml, "u1")
    base, test = _lines(ml_folder / "u1.base"), _lines(ml_folder / "u1.test")
    assert (len(split.train), len(split.test)) == (len(base), len(test)) == (1440, 360)
    assert tuple(split.test.iloc[0]) == tuple(float(x) for x in test[0].split("\t"))
    assert tuple(split.train.iloc[-1]) == tuple(float(x) for x in base[-1].split("\t"))
    assert list(split.train.dtypes) == list(ml.ratings.dtypes)
    assert split.describe()["name"] == "u1"


def test_unknown_split_name(ml: MovieLens) -> None:
    """A name that is neither random nor an official fold is a DataError."""
    assert "u9" in _one_line_error(lambda: make_split(ml, "u9"))


def test_missing_fold_files(ml_copy: Path) -> None:
    """An official fold whose files are absent is a DataError naming them."""
    data = load_movielens(ml_copy, download=False)
    message = _one_line_error(lambda: make_split(data, "u2"))
    assert "u2.base" in message and "u2.test" in message


def test_available_splits(ml_folder: Path, ml_copy: Path) -> None:
    """'random' always; a fold only when both its files exist."""
    assert load_movielens(ml_folder, download=False).available_splits() == ["random", "u1"]
    data = load_movielens(ml_copy, download=False)
    assert data.available_splits() == ["random"]
    write_fold(ml_copy, "ub")
    (ml_copy / "u3.base").write_text((ml_copy / "ub.base").read_text())
    assert data.available_splits() == ["random", "ub"]


def test_validation_slice(ml: MovieLens) -> None:
    """A seeded, disjoint 10% slice of train."""
    train = make_split(ml, seed=3).train
    fit, val = validation_slice(train, seed=3)
    fit2, val2 = validation_slice(train, seed=3)
    pd.testing.assert_frame_equal(fit, fit2)
    pd.testing.assert_frame_equal(val, val2)
    assert (len(fit), len(val)) == (1296, 144)
    assert not _row_set(fit) & _row_set(val)
    assert _row_set(fit) | _row_set(val) == _row_set(train)
    assert _row_set(validation_slice(train, seed=4)[1]) != _row_set(val)


def test_utf8_with_bom_item_decodes(ml_copy: Path) -> None:
    """A UTF-8 u.item that starts with a byte-order mark parses like one without."""
    item = ml_copy / "u.item"
    item.write_bytes(b"\xef\xbb\xbf" + item.read_bytes().decode("latin-1").encode("utf-8"))
    movies = load_movielens(ml_copy, download=False).movies.set_index("movie_id")
    assert movies.loc[4, "movie_title"] == "Café Society (1993)"
    assert movies.index.tolist() == list(range(1, N_MOVIES + 1))
