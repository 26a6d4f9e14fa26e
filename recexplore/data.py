"""MovieLens 100K sources -> canonical pandas frames -> deterministic splits."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recexplore.hashing import sha256_file
from recexplore.safe_read import UnsafeFile, read_path

DATA_ENV = "RECEXPLORE_DATA_DIR"
CACHE_ENV = "RECEXPLORE_CACHE_DIR"
ML100K_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
# Official zip size and sha256, as registered in tensorflow-datasets' checksums.
ML100K_ZIP_SIZE = 4924029
ML100K_ZIP_SHA256 = "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229"
CORE_FILES = ("u.data", "u.item", "u.user")
GENRES = (
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
AGE_BUCKETS = (1, 18, 25, 35, 45, 50, 56)  # TFDS's bucketized_user_age lower bounds
OFFICIAL_SPLITS = ("u1", "u2", "u3", "u4", "u5", "ua", "ub")
RANDOM_SPLIT = "random"
MAX_SEED = 2**32 - 1  # split and training seeds: numpy's seed range
# Ceilings on what is read (MovieLens 100K: 100,000 ratings, 2 MB u.data, a 5 MB zip).
MAX_DATA_FILE_BYTES = 64 << 20  # any one data file (u.data, u.item, u.user, uN.base/test)
MAX_RATINGS = 2_000_000  # rows of u.data (20x MovieLens 100K)
MAX_ID = 2**31 - 1  # user and movie ids are int32
MAX_TIMESTAMP = 4_102_444_800  # 2100-01-01: later (or negative) timestamps are corrupt
MAX_ZIP_BYTES = 256 << 20  # a zip given as --data
MAX_ZIP_MEMBERS = 1_000
MAX_ZIP_RATIO = 200  # uncompressed / compressed size of one member (deflated text is ~4)
_PARSE_VERSION = 3  # bump when parsing or validation changes: cached frames are re-read


class DataError(Exception):
    """A data problem with a one-line, user-facing explanation."""


@dataclass(frozen=True)
class MovieLens:
    """Canonical MovieLens 100K frames (column names as TFDS's movielens features).

    Attributes:
        ratings: user_id, movie_id, user_rating, timestamp (one row per rating).
        movies: movie_id, movie_title, movie_genres (tuple of genre names), year.
        users: user_id, raw_user_age, bucketized_user_age, user_gender,
            user_occupation_text, user_occupation_label, user_zip_code.
        folder: the ml-100k folder the frames were parsed from.
        fingerprint: sha256 prefix over the core files' bytes.
    """

    ratings: pd.DataFrame
    movies: pd.DataFrame
    users: pd.DataFrame
    folder: Path
    fingerprint: str

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


# ---------------------------------------------------------------- sources


def cache_dir() -> Path:
    """RecExplore's cache folder (parsed frames, downloads); not created here."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "recexplore")


def resolve_folder(path: str | os.PathLike[str] | None = None, download: bool = True) -> Path:
    """Find an ml-100k folder: an explicit path, RECEXPLORE_DATA_DIR, or a TFDS download.

    Args:
        path: an ml-100k folder, a folder containing `ml-100k/`, or an ml-100k zip.
        download: fetch the official zip through tensorflow-datasets when no path
            is given and none was downloaded before.

    Returns:
        The folder holding u.data, u.item and u.user.

    Raises:
        DataError: nothing usable was found.
    """
    chosen = path if path not in (None, "") else os.environ.get(DATA_ENV) or None
    if chosen is not None:
        return _folder_from_path(Path(chosen).expanduser())
    downloaded = downloaded_folder()
    if _has_core_files(downloaded):
        return downloaded
    if not download:
        raise DataUnavailable("no local copy found")
    return _download_official_zip()


def downloaded_folder() -> Path:
    """Where the verified official download is kept (once there, it is never fetched again)."""
    return cache_dir() / "downloads" / "ml-100k"


def needs_download(path: str | os.PathLike[str] | None = None) -> bool:
    """True when loading would have to download the official zip first (no path, no
    RECEXPLORE_DATA_DIR, no earlier download)."""
    chosen = path if path not in (None, "") else os.environ.get(DATA_ENV) or None
    return chosen is None and not _has_core_files(downloaded_folder())


def download_progress() -> int:
    """Bytes of the official zip downloaded so far (TFDS writes it under the downloads folder)."""
    folder = cache_dir() / "downloads" / "tfds"
    try:
        return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    except OSError:
        return 0


class DataUnavailable(DataError):  # noqa: N818 - reads as "data unavailable"
    """MovieLens is not on this machine and could not be downloaded; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(_no_data_message(reason))
        self.reason = reason


def _no_data_message(reason: str) -> str:
    return (
        f"MovieLens 100K is not available ({reason}): pass --data PATH to an ml-100k folder or zip, "
        f"or set {DATA_ENV} (with network access the official zip is downloaded once)."
    )


def _has_core_files(folder: Path) -> bool:
    return all((folder / name).is_file() for name in CORE_FILES)


def _folder_from_path(path: Path) -> Path:
    if not path.exists():
        raise DataError(f"Data path {path} does not exist: point --data or {DATA_ENV} at an ml-100k folder or zip.")
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise DataError(f"{path} is not a zip file: point --data at an ml-100k folder or ml-100k.zip.")
        return _extract_zip(path)
    for folder in (path, path / "ml-100k"):
        if _has_core_files(folder):
            return folder
    odd = [name for name in CORE_FILES if os.path.lexists(path / name) and not (path / name).is_file()]
    if odd:
        raise DataError(
            f"{path.name}/{odd[0]} is not a regular file (a pipe, device or folder): MovieLens files "
            "are plain text files."
        )
    missing = [name for name in CORE_FILES if not (path / name).is_file()]
    raise DataError(f"{path} is not an ml-100k folder: missing {', '.join(missing)}.")


def _extract_zip(zip_path: Path) -> Path:
    """The MovieLens files of a zip, extracted once into the cache (keyed by the zip's digest).

    The archive is checked before anything is written: its size, member count, unsafe paths,
    duplicate names among the files we use, encryption, compression method and each member's
    size and compression ratio; the bytes actually read are bounded too (a header can lie).
    A failed extraction leaves nothing behind.
    """
    if zip_path.stat().st_size > MAX_ZIP_BYTES:
        raise DataError(f"{zip_path.name} is larger than {MAX_ZIP_BYTES >> 20} MiB: not an ml-100k zip.")
    digest = sha256_file(zip_path)[:16]
    target = cache_dir() / "extracted" / digest
    if _has_core_files(target / "ml-100k"):
        return target / "ml-100k"
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    try:
        with zipfile.ZipFile(zip_path) as archive:
            for info in _wanted_members(archive, zip_path.name):
                out = tmp / "ml-100k" / Path(info.filename).name
                out.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as member:
                    data = member.read(MAX_DATA_FILE_BYTES + 1)
                if len(data) > MAX_DATA_FILE_BYTES:
                    raise DataError(
                        f"{zip_path.name}: {info.filename} unpacks to more than {MAX_DATA_FILE_BYTES >> 20} MiB."
                    )
                out.write_bytes(data)
        if not _has_core_files(tmp / "ml-100k"):
            raise DataError(f"{zip_path.name} does not contain the MovieLens 100K files {', '.join(CORE_FILES)}.")
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    except DataError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        RuntimeError,
        EOFError,
        zlib.error,
        OSError,
        ValueError,
    ) as err:
        shutil.rmtree(tmp, ignore_errors=True)
        reason = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
        raise DataError(f"Could not read {zip_path.name}: {reason}.") from None
    return target / "ml-100k"


def _wanted_members(archive: zipfile.ZipFile, shown: str) -> list[zipfile.ZipInfo]:
    """The members we extract (core files and folds), after every check on the archive."""
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise DataError(f"{shown} holds {len(infos):,} files (at most {MAX_ZIP_MEMBERS:,}): not an ml-100k zip.")
    if any(i.filename.startswith("/") or ".." in Path(i.filename).parts for i in infos):
        raise DataError(f"{shown} holds unsafe paths; refusing to extract it.")
    wanted = [
        i
        for i in infos
        if not i.is_dir() and (Path(i.filename).name in CORE_FILES or Path(i.filename).suffix in (".base", ".test"))
    ]
    names = [Path(i.filename).name for i in wanted]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DataError(f"{shown} holds {twice[0]} more than once; refusing to guess which one is meant.")
    total = 0
    for info in wanted:
        if info.flag_bits & 0x1:
            raise DataError(f"{shown}: {info.filename} is encrypted; give an unencrypted zip.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise DataError(f"{shown}: {info.filename} uses an unsupported compression method; re-zip it with deflate.")
        if info.file_size > MAX_DATA_FILE_BYTES:
            raise DataError(f"{shown}: {info.filename} unpacks to more than {MAX_DATA_FILE_BYTES >> 20} MiB.")
        if info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise DataError(
                f"{shown}: {info.filename} expands {info.file_size // max(info.compress_size, 1):,}x; "
                "refusing a likely zip bomb."
            )
        total += info.file_size
    if total > 2 * MAX_DATA_FILE_BYTES:
        raise DataError(f"{shown} unpacks to more than {2 * MAX_DATA_FILE_BYTES >> 20} MiB of MovieLens files.")
    return wanted


def _download_official_zip() -> Path:
    """Download and verify the official zip with tensorflow-datasets' download manager."""
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise DataUnavailable("tensorflow-datasets is not installed") from None
    downloads = cache_dir() / "downloads"
    _check_reachable(ML100K_URL)
    tfds.disable_progress_bar()
    try:
        manager = tfds.download.DownloadManager(download_dir=str(downloads / "tfds"))
        zip_path = Path(manager.download(ML100K_URL))
    except Exception as err:  # network errors come in many types
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DataUnavailable(f"download failed: {reason[:120]}") from None
    if zip_path.stat().st_size != ML100K_ZIP_SIZE or sha256_file(zip_path) != ML100K_ZIP_SHA256:
        raise DataError(f"Downloaded {zip_path} does not match the official ml-100k.zip checksum; delete it and retry.")
    folder = _extract_zip(zip_path)
    link = downloaded_folder()
    if not _has_core_files(link):
        shutil.copytree(folder, link, dirs_exist_ok=True)
    return link


def _check_reachable(url: str, timeout: float = 5.0) -> None:
    """Fail fast (instead of TFDS's long retry loop) when the download host is unreachable."""
    import socket
    from urllib.parse import urlparse

    parts = urlparse(url)
    host = parts.hostname or ""
    try:
        socket.create_connection(
            (host, parts.port or (443 if parts.scheme == "https" else 80)), timeout=timeout
        ).close()
    except OSError:
        raise DataUnavailable(f"cannot reach {host} to download it") from None


# ---------------------------------------------------------------- parsing


def load_movielens(path: str | os.PathLike[str] | None = None, download: bool = True) -> MovieLens:
    """Load MovieLens 100K as canonical frames, from the parse cache when unchanged.

    Args:
        path: see `resolve_folder`.
        download: see `resolve_folder`.

    Returns:
        The parsed data set.

    Raises:
        DataError: missing, unreadable or malformed files (naming file and line).
    """
    folder = resolve_folder(path, download=download).resolve()
    stamp = _stat_stamp(folder)
    cache_file = cache_dir() / "parsed" / f"{hashlib.sha256(stamp.encode()).hexdigest()[:24]}.npz"
    cached = _read_cache(cache_file)
    if cached is not None:
        return MovieLens(folder=folder, **cached)
    frames = parse_folder(folder)
    _write_cache(cache_file, frames)
    return MovieLens(folder=folder, **frames)


def _stat_stamp(folder: Path) -> str:
    parts = [str(_PARSE_VERSION), str(folder)]
    for name in CORE_FILES:
        st = (folder / name).stat()
        parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def _read_cache(cache_file: Path) -> dict | None:
    """The frames stored by _write_cache, or None (missing, stale or damaged: reparse).

    The cache is plain arrays read with allow_pickle=False, so a planted file cannot run code.
    """
    try:
        with np.load(cache_file, allow_pickle=False) as stored:
            spec = json.loads(str(stored["__spec__"]))
            frames: dict = {
                frame: pd.DataFrame(
                    {column: _decode_column(stored[f"{frame}__{column}"], dtype) for column, dtype in columns}
                )
                for frame, columns in spec["frames"].items()
            }
            return {**frames, "fingerprint": str(spec["fingerprint"])}
    except Exception:  # missing or damaged cache: reparse
        return None


def _write_cache(cache_file: Path, parsed: dict) -> None:
    """Store parse_folder's frames as .npz arrays (strings as unicode, genre tuples joined by '|')."""
    arrays: dict[str, np.ndarray] = {}
    spec: dict = {"fingerprint": parsed["fingerprint"], "frames": {}}
    for frame in ("ratings", "movies", "users"):
        table = parsed[frame]
        spec["frames"][frame] = [(column, str(table[column].dtype)) for column in table.columns]
        for column in table.columns:
            arrays[f"{frame}__{column}"] = _encode_column(table[column])
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("wb") as handle:
            np.savez(handle, __spec__=np.array(json.dumps(spec)), **arrays)
        tmp.replace(cache_file)
    except OSError:
        pass  # a read-only cache only costs speed


def _encode_column(values: pd.Series) -> np.ndarray:
    if values.dtype == object:  # movie_genres: tuples of genre names
        return np.array(["|".join(v) for v in values], dtype=str)
    if not pd.api.types.is_numeric_dtype(values.dtype):
        return np.array(values.astype(str).tolist(), dtype=str)
    return values.to_numpy()


def _decode_column(array: np.ndarray, dtype: str) -> pd.Series:
    if dtype == "object":
        return pd.Series([tuple(v.split("|")) if v else () for v in array.tolist()], dtype=object)
    return pd.Series(array.tolist() if array.dtype.kind == "U" else array).astype(dtype)


def parse_folder(folder: Path) -> dict:
    """Parse u.data, u.item and u.user of an ml-100k folder (no caching)."""
    ratings = _parse_ratings(folder / "u.data")
    movies = _parse_movies(folder / "u.item")
    users = _parse_users(folder / "u.user")
    _check_references(folder, ratings, movies, users)
    digest = hashlib.sha256()
    for name in CORE_FILES:
        digest.update((folder / name).read_bytes())
    return {"ratings": ratings, "movies": movies, "users": users, "fingerprint": digest.hexdigest()[:16]}


def _decode(path: Path) -> str:
    try:
        raw = read_path(path, MAX_DATA_FILE_BYTES, follow_links=True)  # shared data folders link files
    except UnsafeFile as err:
        raise DataError(f"{err}: MovieLens files are plain text of at most {MAX_DATA_FILE_BYTES >> 20} MiB.") from None
    except OSError as err:
        raise DataError(f"Cannot read {path.name}: {err.strerror or err}.") from None
    if b"\x00" in raw:
        raise DataError(f"{path.name}: not a MovieLens text file (binary or UTF-16 content).")
    try:
        return raw.decode("utf-8-sig")  # a re-encoded copy (BOM allowed); ASCII-only files land here too
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # the official encoding


def _read_table(path: Path, sep: str, n_fields: int, names: list[str]) -> pd.DataFrame:
    """Split a delimited file into string columns, naming the first bad line."""
    text = _decode(path)
    # Only \n (and \r\n) end a line: str.splitlines would also split at \x85, \x0b, \x0c and
    # \x1c-\x1e, bytes that occur inside Latin-1 titles.
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) > MAX_RATINGS:
        raise DataError(f"{path.name}: {len(lines):,} lines; RecExplore reads at most {MAX_RATINGS:,}.")
    if not lines:
        raise DataError(f"{path.name}: the file is empty.")
    for number, line in enumerate(lines, start=1):
        if line.count(sep) != n_fields - 1:
            raise DataError(
                f"{path.name}: line {number}: expected {n_fields} fields separated by {sep!r}, "
                f"found {line.count(sep) + 1}."
            )
    split = [line.split(sep) for line in lines]
    return pd.DataFrame(split, columns=names)


def _to_int(frame: pd.DataFrame, column: str, path: Path, low: int = 0, high: int = MAX_ID) -> np.ndarray:
    """Integers of a column, each within [low, high], or DataError naming the first bad line."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        line = int(np.argmax(bad)) + 1
        raise DataError(f"{path.name}: line {line}: {column} {frame[column].iloc[line - 1]!r} is not an integer.")
    as_float = values.to_numpy(dtype=np.float64)
    if not np.all(as_float == np.round(as_float)):
        line = int(np.argmax(as_float != np.round(as_float))) + 1
        raise DataError(f"{path.name}: line {line}: {column} {frame[column].iloc[line - 1]!r} is not an integer.")
    outside = (as_float < low) | (as_float > high)
    if outside.any():
        line = int(np.argmax(outside)) + 1
        raise DataError(f"{path.name}: line {line}: {column} {frame[column].iloc[line - 1]} is outside {low}-{high}.")
    return as_float.astype(np.int64)


def _parse_ratings(path: Path) -> pd.DataFrame:
    raw = _read_table(path, "\t", 4, ["user_id", "movie_id", "user_rating", "timestamp"])
    ratings = pd.DataFrame(
        {
            "user_id": _to_int(raw, "user_id", path, 1).astype(np.int32),
            "movie_id": _to_int(raw, "movie_id", path, 1).astype(np.int32),
            "user_rating": _to_int(raw, "user_rating", path, 1, 5).astype(np.float32),
            "timestamp": _to_int(raw, "timestamp", path, 0, MAX_TIMESTAMP),
        }
    )
    out_of_range = ~ratings["user_rating"].between(1, 5).to_numpy()
    if out_of_range.any():
        line = int(np.argmax(out_of_range)) + 1
        raise DataError(f"{path.name}: line {line}: rating {ratings['user_rating'].iloc[line - 1]:g} is outside 1-5.")
    repeated = ratings.duplicated(["user_id", "movie_id"]).to_numpy()
    if repeated.any():
        line = int(np.argmax(repeated)) + 1
        row = ratings.iloc[line - 1]
        raise DataError(f"{path.name}: line {line}: user {row['user_id']} rated movie {row['movie_id']} twice.")
    return ratings


def _parse_movies(path: Path) -> pd.DataFrame:
    names = ["movie_id", "movie_title", "release_date", "video_release_date", "imdb_url", *GENRES]
    raw = _read_table(path, "|", len(names), names)
    flags = raw[list(GENRES)]
    bad = ~flags.isin(["0", "1"]).all(axis=1).to_numpy()
    if bad.any():
        line = int(np.argmax(bad)) + 1
        raise DataError(f"{path.name}: line {line}: genre flags must be 0 or 1.")
    flag_values = flags.to_numpy() == "1"
    genres = [tuple(g for g, on in zip(GENRES, row, strict=True) if on) for row in flag_values]
    year = pd.to_numeric(raw["release_date"].str[-4:], errors="coerce")
    movies = pd.DataFrame(
        {
            "movie_id": _to_int(raw, "movie_id", path, 1).astype(np.int32),
            "movie_title": raw["movie_title"].astype(str),
            "movie_genres": genres,
            "year": year.fillna(0).astype(np.int32),
        }
    )
    _check_unique(movies, "movie_id", path)
    return movies


def _parse_users(path: Path) -> pd.DataFrame:
    raw = _read_table(path, "|", 5, ["user_id", "age", "gender", "occupation", "zip"])
    ages = _to_int(raw, "age", path, 0, 150)
    bad_gender = ~raw["gender"].isin(["M", "F"]).to_numpy()
    if bad_gender.any():
        line = int(np.argmax(bad_gender)) + 1
        raise DataError(f"{path.name}: line {line}: gender {raw['gender'].iloc[line - 1]!r} is not M or F.")
    occupations = sorted(raw["occupation"].unique())
    users = pd.DataFrame(
        {
            "user_id": _to_int(raw, "user_id", path, 1).astype(np.int32),
            "raw_user_age": ages.astype(np.float32),
            "bucketized_user_age": np.array([bucketize_age(a) for a in ages], dtype=np.float32),
            "user_gender": raw["gender"].astype(str),
            "user_occupation_text": raw["occupation"].astype(str),
            "user_occupation_label": raw["occupation"].map({o: i for i, o in enumerate(occupations)}).astype(np.int32),
            "user_zip_code": raw["zip"].astype(str),
        }
    )
    _check_unique(users, "user_id", path)
    return users


def bucketize_age(age: float) -> int:
    """TFDS's bucketized_user_age: the largest bucket lower bound <= age."""
    return max([b for b in AGE_BUCKETS if age >= b], default=AGE_BUCKETS[0])


def _check_unique(frame: pd.DataFrame, column: str, path: Path) -> None:
    dup = frame[column].duplicated().to_numpy()
    if dup.any():
        line = int(np.argmax(dup)) + 1
        raise DataError(f"{path.name}: line {line}: duplicate {column} {frame[column].iloc[line - 1]}.")


def _check_references(folder: Path, ratings: pd.DataFrame, movies: pd.DataFrame, users: pd.DataFrame) -> None:
    for column, known, name in (("user_id", users, "u.user"), ("movie_id", movies, "u.item")):
        unknown = ~ratings[column].isin(known[column]).to_numpy()
        if unknown.any():
            line = int(np.argmax(unknown)) + 1
            raise DataError(f"u.data: line {line}: {column} {ratings[column].iloc[line - 1]} is not in {name}.")


# ---------------------------------------------------------------- splits


def make_split(data: MovieLens, name: str = RANDOM_SPLIT, seed: int = 42, test_fraction: float = 0.2) -> Split:
    """A deterministic train/test split.

    Args:
        data: the parsed data set.
        name: 'random' (seeded shuffle), an official fold u1..u5, ua, ub, or a time-ordered split
            ('last-out', 'last-out-val', 'temporal': recexplore/sequences.py).
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
    from recexplore.sequences import SEQUENTIAL_SPLITS, split_rows

    if name in SEQUENTIAL_SPLITS:  # time-ordered: the same rows whatever the seed
        train, held_out = split_rows(data.ratings, name)
        return Split(name, seed, train, held_out)
    if name not in OFFICIAL_SPLITS:
        known = ", ".join((*OFFICIAL_SPLITS, *SEQUENTIAL_SPLITS))
        raise DataError(f"Unknown split {name!r}: use 'random' or one of {known}.")
    base, test = data.folder / f"{name}.base", data.folder / f"{name}.test"
    if not (base.is_file() and test.is_file()):
        raise DataError(f"Split {name!r} needs {base.name} and {test.name} in {data.folder}; they are not there.")
    train, held_out = _parse_ratings(base), _parse_ratings(test)
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
