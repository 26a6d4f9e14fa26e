"""MovieLens sources (the data sets of `data_sources.py`) -> canonical pandas frames -> deterministic splits."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recexplore.data.hashing import sha256_file
from recexplore.data.safe_read import UnsafeFile, read_path
from recexplore.data.sources import (
    CSV_LAYOUT,
    DATASET_ENV,
    DEFAULT_DATASET,
    GENRE_ALIASES,
    LAYOUTS,
    ML1M_LAYOUT,
    ML100K_LAYOUT,
    NAMES,
    DataSource,
    Layout,
    guess,
    source,
)

DATA_ENV = "RECEXPLORE_DATA_DIR"
CACHE_ENV = "RECEXPLORE_CACHE_DIR"
CORE_FILES = ML100K_LAYOUT.core_files  # the ml-100k layout's files (fold files are written in its u.data format)
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
MAX_ZIP_BYTES = 1 << 30  # a zip given as --data
MAX_ZIP_MEMBERS = 1_000
MAX_ZIP_RATIO = 200  # uncompressed / compressed size of one member (deflated text is ~4)
# Loading holds about this many bytes per rating at its peak (the C parser's int64/float64
# columns, the int32/float32 frame and the parse cache's arrays: 2.5 GB for 25M ratings, measured
# by bench/scale_bench.py and `/usr/bin/time -v python -m recexplore data --json`).
LOAD_BYTES_PER_RATING = 100
MEMORY_SHARE = 0.8  # of the memory available now, what loading may use
_PARSE_VERSION = 4  # bump when parsing or validation changes: cached frames are re-read
_CHUNK_LINES = 1 << 20  # the line-by-line checker's chunk (only runs on a file the fast reader refused)
_YEAR = re.compile(r"\((\d{4})\)\s*$")


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


def chosen_dataset(dataset: str | None = None) -> str | None:
    """The data set asked for: `dataset`, else RECEXPLORE_DATASET, else None (any).

    Raises:
        DataError: an unknown name.
    """
    name = dataset or os.environ.get(DATASET_ENV) or None
    if name is not None and name not in NAMES:
        raise DataError(f"Unknown data set {name!r}: use one of {', '.join(NAMES)}.")
    return name


def locate(
    path: str | os.PathLike[str] | None = None, dataset: str | None = None, download: bool = True
) -> tuple[Path, DataSource]:
    """Find a data set's folder: an explicit path, RECEXPLORE_DATA_DIR, or a verified download.

    Args:
        path: a data set's folder or zip in any known layout, or a folder holding data sets in
            sub-folders named as `data_sources.NAMES` (e.g. `ml-100k/`, `ml-1m/`).
        dataset: which data set (default RECEXPLORE_DATASET, else ml-100k where there is a choice).
        download: fetch the official zip through tensorflow-datasets when no path is given and
            none was downloaded before.

    Returns:
        The folder holding the layout's files, and the data set it holds.

    Raises:
        DataError: nothing usable was found, or the path holds another data set.
    """
    name = chosen_dataset(dataset)
    chosen = path if path not in (None, "") else os.environ.get(DATA_ENV) or None
    if chosen is not None:
        found = datasets_at(Path(chosen).expanduser(), name)
        if name is None:
            name = DEFAULT_DATASET if DEFAULT_DATASET in found else next(iter(found))
        if name not in found:
            raise DataError(
                f"{Path(chosen).name} holds {', '.join(found)}, not {name}: pass --dataset {next(iter(found))}."
            )
        return found[name], source(name)
    wanted = source(name or DEFAULT_DATASET)
    downloaded = downloaded_folder(wanted.name)
    if layout_of(downloaded) is wanted.layout:
        return downloaded, wanted
    if not download:
        raise DataUnavailable("no local copy found", wanted)
    return _download_official_zip(wanted), wanted


def resolve_folder(
    path: str | os.PathLike[str] | None = None, download: bool = True, dataset: str | None = None
) -> Path:
    """The folder of `locate`."""
    return locate(path, dataset, download)[0]


def datasets_at(path: Path, wanted: str | None = None) -> dict[str, Path]:
    """The data sets a path holds, by name: the path itself (a folder or zip in a known layout,
    named by `wanted` when its layout fits, else by `data_sources.guess`), or its sub-folders
    named as data sets.

    Raises:
        DataError: the path is missing, not a zip, or holds no data set (naming what is missing).
    """
    if not path.exists():
        raise DataError(f"Data path {path} does not exist: point --data or {DATA_ENV} at a MovieLens folder or zip.")
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise DataError(f"{path} is not a zip file: point --data at a MovieLens folder or its official zip.")
        path = _extract_zip(path)
    layout = layout_of(path)
    if layout is not None:
        return {_name_of(path, layout, wanted): path}
    found = {name: path / name for name in NAMES if layout_of(path / name) is source(name).layout}
    if found:
        return found
    raise DataError(_not_a_data_folder(path))


def _name_of(folder: Path, layout: Layout, wanted: str | None) -> str:
    if wanted is not None and source(wanted).layout is layout:
        return wanted
    return guess(layout, folder.name, _size_or_zero(folder / layout.ratings_file)).name


def _size_or_zero(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def layout_of(folder: Path) -> Layout | None:
    """The layout whose core files are all in `folder` (regular files), or None."""
    for layout in LAYOUTS:
        if all((folder / name).is_file() for name in layout.core_files):
            return layout
    return None


def _not_a_data_folder(path: Path) -> str:
    """Why `path` holds no data set: a core file that is not a regular file, or which files are missing."""
    for layout in LAYOUTS:
        odd = [n for n in layout.core_files if os.path.lexists(path / n) and not (path / n).is_file()]
        if odd:
            return (
                f"{path.name}/{odd[0]} is not a regular file (a pipe, device or folder): MovieLens files "
                "are plain text files."
            )
    partial = [layout for layout in LAYOUTS if any((path / n).is_file() for n in layout.core_files)]
    if partial:
        layout = partial[0]
        missing = [n for n in layout.core_files if not (path / n).is_file()]
        return f"{path} is not a complete {layout.name}-layout folder: missing {', '.join(missing)}."
    layouts = "; ".join(", ".join(layout.core_files) for layout in LAYOUTS)
    return f"{path} is not a MovieLens folder: it holds none of the layouts' files ({layouts})."


def downloaded_folder(dataset: str = DEFAULT_DATASET) -> Path:
    """Where a data set's verified official download is kept (once there, it is never fetched again)."""
    return cache_dir() / "downloads" / dataset


def downloaded_datasets() -> list[str]:
    """The data sets downloaded on this machine before."""
    return [name for name in NAMES if layout_of(downloaded_folder(name)) is source(name).layout]


def present_datasets(path: str | os.PathLike[str] | None = None) -> list[str]:
    """The data sets that load without a download: those at `path` (or RECEXPLORE_DATA_DIR) and
    those downloaded before, in the sources table's order. Never raises."""
    chosen = path if path not in (None, "") else os.environ.get(DATA_ENV) or None
    names = set(downloaded_datasets()) if chosen is None else set()
    if chosen is not None:
        try:
            names |= set(datasets_at(Path(chosen).expanduser()))
        except DataError:
            pass
    return [name for name in NAMES if name in names]


def needs_download(path: str | os.PathLike[str] | None = None, dataset: str | None = None) -> bool:
    """True when loading would have to download the official zip first (no path, no
    RECEXPLORE_DATA_DIR, no earlier download)."""
    chosen = path if path not in (None, "") else os.environ.get(DATA_ENV) or None
    if chosen is not None:
        return False
    wanted = source(chosen_dataset(dataset) or DEFAULT_DATASET)
    return layout_of(downloaded_folder(wanted.name)) is not wanted.layout


def download_progress() -> int:
    """Bytes of the official zip downloaded so far (TFDS writes it under the downloads folder)."""
    folder = cache_dir() / "downloads" / "tfds"
    try:
        return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    except OSError:
        return 0


class DataUnavailable(DataError):  # noqa: N818 - reads as "data unavailable"
    """A data set is not on this machine and could not be downloaded; `reason` says why."""

    def __init__(self, reason: str, wanted: DataSource | None = None) -> None:
        self.source = wanted or source(DEFAULT_DATASET)
        super().__init__(
            f"{self.source.title} is not available ({reason}): pass --data PATH to its folder or zip, "
            f"or set {DATA_ENV} (with network access the official zip is downloaded once)."
        )
        self.reason = reason


def _extract_zip(zip_path: Path) -> Path:
    """The MovieLens files of a zip, extracted once into the cache (keyed by the zip's digest).

    The archive is checked before anything is written: its size, member count, unsafe paths,
    duplicate names among the files we use, encryption, compression method, each member's
    size and compression ratio, and the free disk space; the bytes actually written are bounded
    too (a header can lie). A failed extraction leaves nothing behind.
    """
    if zip_path.stat().st_size > MAX_ZIP_BYTES:
        raise DataError(f"{zip_path.name} is larger than {MAX_ZIP_BYTES >> 20} MiB: not a MovieLens zip.")
    digest = sha256_file(zip_path)[:16]
    target = cache_dir() / "extracted" / digest
    done = [f for f in target.iterdir() if layout_of(f) is not None] if target.is_dir() else []
    if done:
        return done[0]
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    try:
        with zipfile.ZipFile(zip_path) as archive:
            wanted = _wanted_members(archive, zip_path.name)
            folder_name = _zip_folder_name(wanted, zip_path)
            for info in wanted:
                out = tmp / folder_name / Path(info.filename).name
                out.parent.mkdir(parents=True, exist_ok=True)
                _copy_bounded(archive, info, out, zip_path.name)
        if layout_of(tmp / folder_name) is None:
            raise DataError(
                f"{zip_path.name} does not contain the MovieLens files of any layout "
                f"({'; '.join(', '.join(layout.core_files) for layout in LAYOUTS)})."
            )
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
    return target / folder_name


def _zip_folder_name(wanted: list[zipfile.ZipInfo], zip_path: Path) -> str:
    """The folder a zip's data files sit in (`ml-1m/ratings.dat` -> ml-1m), else the zip's name."""
    parents = {Path(i.filename).parent.name for i in wanted}
    name = parents.pop() if len(parents) == 1 else ""
    return name if name and name not in (".", "..") else zip_path.stem


def _copy_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, out: Path, shown: str) -> None:
    """Stream one member to `out`, refusing more than MAX_DATA_FILE_BYTES whatever its header says."""
    written = 0
    with archive.open(info) as member, out.open("wb") as handle:
        while block := member.read(1 << 20):
            written += len(block)
            if written > MAX_DATA_FILE_BYTES:
                raise DataError(f"{shown}: {info.filename} unpacks to more than {MAX_DATA_FILE_BYTES >> 20} MiB.")
            handle.write(block)


def _wanted_members(archive: zipfile.ZipFile, shown: str) -> list[zipfile.ZipInfo]:
    """The members we extract (every layout's core files, and folds), after every check on the archive."""
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise DataError(f"{shown} holds {len(infos):,} files (at most {MAX_ZIP_MEMBERS:,}): not a MovieLens zip.")
    if any(i.filename.startswith("/") or ".." in Path(i.filename).parts for i in infos):
        raise DataError(f"{shown} holds unsafe paths; refusing to extract it.")
    known = {name for layout in LAYOUTS for name in layout.core_files}
    wanted = [
        i
        for i in infos
        if not i.is_dir() and (Path(i.filename).name in known or Path(i.filename).suffix in (".base", ".test"))
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
    free = _free_bytes(cache_dir())
    if total > free:
        raise DataError(f"{shown} unpacks to {_gb(total)} but the cache folder has {_gb(free)} free.")
    return wanted


def _free_bytes(folder: Path) -> int:
    """Free disk bytes where `folder` is (or would be)."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free
    return 0


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.1f} GB" if n_bytes >= 1e8 else f"{n_bytes / 1e6:.1f} MB"


def _download_official_zip(wanted: DataSource) -> Path:
    """Download and verify a data set's official zip with tensorflow-datasets' download manager."""
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise DataUnavailable("tensorflow-datasets is not installed", wanted) from None
    downloads = cache_dir() / "downloads"
    url = download_url(wanted)
    _check_reachable(url, wanted)
    tfds.disable_progress_bar()
    try:
        manager = tfds.download.DownloadManager(download_dir=str(downloads / "tfds"))
        zip_path = Path(manager.download(url))
    except Exception as err:  # network errors come in many types
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DataUnavailable(f"download failed: {reason[:120]}", wanted) from None
    if zip_path.stat().st_size != wanted.zip_size or sha256_file(zip_path) != wanted.zip_sha256:
        raise DataError(
            f"Downloaded {zip_path} does not match the official {wanted.name}.zip checksum; delete it and retry."
        )
    folder = _extract_zip(zip_path)
    link = downloaded_folder(wanted.name)
    if layout_of(link) is not wanted.layout:
        shutil.copytree(folder, link, dirs_exist_ok=True)
    return link


def download_url(wanted: DataSource) -> str:
    """Where a data set's zip is fetched from: its official address, or a local mirror's (e.g. a
    class server's own copy) named by `mirror_env`; the size and checksum are checked all the same."""
    return os.environ.get(mirror_env(wanted.name)) or wanted.url


def mirror_env(dataset: str) -> str:
    """The variable naming a mirror of a data set's zip: RECEXPLORE_DOWNLOAD_URL_ML_1M for ml-1m."""
    return "RECEXPLORE_DOWNLOAD_URL_" + dataset.upper().replace("-", "_")


def _check_reachable(url: str, wanted: DataSource, timeout: float = 5.0) -> None:
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
        raise DataUnavailable(f"cannot reach {host} to download it", wanted) from None


# ---------------------------------------------------------------- memory


def estimated_ratings(path: Path) -> int:
    """About how many ratings a ratings file holds: its size over the mean length of its first lines."""
    size = _size_or_zero(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 20)
    except OSError:
        return 0
    lines = head.count(b"\n")
    return int(size / (len(head) / lines)) if lines else (1 if size else 0)


def load_bytes(n_ratings: int) -> int:
    """About how much memory loading `n_ratings` ratings takes at its peak."""
    return int(n_ratings) * LOAD_BYTES_PER_RATING


def available_bytes() -> int:
    """Memory available to this process now (`resources.available_bytes`)."""
    from recexplore.config.memory import available_bytes as available

    return available()


def check_fits(folder: Path, layout: Layout, name: str) -> None:
    """Refuse, in one line, a data set whose parse would not fit in the memory available now
    (rather than a crash or a swap storm halfway through)."""
    ratings = estimated_ratings(folder / layout.ratings_file)
    needed = load_bytes(ratings)
    budget = int(available_bytes() * MEMORY_SHARE)
    if needed > budget:
        raise DataError(
            f"{name} holds about {ratings / 1e6:.1f}M ratings, which need about {_gb(needed)} to load; "
            f"this machine has {_gb(budget)} to spare: use a smaller data set (--dataset) or a machine with more memory."
        )


# ---------------------------------------------------------------- parsing


def load_movielens(
    path: str | os.PathLike[str] | None = None, download: bool = True, dataset: str | None = None
) -> MovieLens:
    """Load a MovieLens data set as canonical frames, from the parse cache when unchanged.

    Args:
        path: see `locate`.
        download: see `locate`.
        dataset: see `locate`.

    Returns:
        The parsed data set.

    Raises:
        DataError: missing, unreadable, malformed or too large files (naming file and line).
    """
    folder, found = locate(path, dataset, download=download)
    folder = folder.resolve()
    stamp = _stat_stamp(folder, found)
    cache_file = cache_dir() / "parsed" / f"{hashlib.sha256(stamp.encode()).hexdigest()[:24]}.npz"
    cached = _read_cache(cache_file)
    if cached is not None:
        return MovieLens(folder=folder, dataset=found.name, **cached)
    frames = parse_folder(folder, found.layout, found.name)
    _write_cache(cache_file, frames)
    return MovieLens(folder=folder, dataset=found.name, **frames)


def _stat_stamp(folder: Path, found: DataSource) -> str:
    parts = [str(_PARSE_VERSION), str(folder), found.name]
    for name in found.layout.core_files:
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
    if values.dtype == object and len(values) and isinstance(values.iloc[0], tuple):  # movie_genres
        return np.array(["|".join(v) for v in values], dtype=str)
    if not pd.api.types.is_numeric_dtype(values.dtype):
        return np.array(values.astype(str).tolist(), dtype=str)
    return values.to_numpy()


def _decode_column(array: np.ndarray, dtype: str) -> pd.Series:
    if dtype == "object":
        return pd.Series([tuple(v.split("|")) if v else () for v in array.tolist()], dtype=object)
    return pd.Series(array.tolist() if array.dtype.kind == "U" else array).astype(dtype)


def parse_folder(folder: Path, layout: Layout | None = None, name: str | None = None) -> dict:
    """Parse a data set's core files (no caching): ratings, movies, users and the fingerprint.

    Raises:
        DataError: a file is malformed (naming file and line), or the data would not fit in memory.
    """
    layout = layout or layout_of(folder)
    if layout is None:
        raise DataError(_not_a_data_folder(folder))
    check_fits(folder, layout, name or folder.name)
    ratings = parse_ratings(folder / layout.ratings_file, layout)
    if layout is ML100K_LAYOUT:
        movies, users = _parse_movies(folder / layout.movies_file), _parse_users(folder / "u.user")
    elif layout is ML1M_LAYOUT:
        movies, users = _parse_movies_1m(folder / layout.movies_file), _parse_users_1m(folder / "users.dat")
    else:
        movies, users = _parse_movies_csv(folder / layout.movies_file), anonymous_users(ratings["user_id"])
    _check_references(layout, ratings, movies, users)
    digest = hashlib.sha256()
    for file_name in layout.core_files:
        with (folder / file_name).open("rb") as handle:
            while block := handle.read(1 << 22):
                digest.update(block)
    return {"ratings": ratings, "movies": movies, "users": users, "fingerprint": digest.hexdigest()[:16]}


def _check_regular(path: Path) -> None:
    """Refuse a pipe, device or folder (which would hang or fill memory) and an oversized file."""
    try:
        info = path.stat()
    except OSError as err:
        raise DataError(f"Cannot read {path.name}: {err.strerror or err}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"{path.name} is not a regular file: MovieLens files are plain text files.")
    if info.st_size > MAX_DATA_FILE_BYTES:
        raise DataError(f"{path.name} is larger than the {_size_text(MAX_DATA_FILE_BYTES)} allowed.")


def _size_text(n_bytes: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n_bytes >= 1 << shift:
            return f"{n_bytes / (1 << shift):g} {unit}"
    return f"{n_bytes} bytes"


def _decode(path: Path) -> str:
    limit = MAX_DATA_FILE_BYTES
    try:
        raw = read_path(path, limit, follow_links=True)  # shared data folders link files
    except UnsafeFile as err:
        raise DataError(f"{err}: MovieLens files are plain text of at most {_size_text(limit)}.") from None
    except OSError as err:
        raise DataError(f"Cannot read {path.name}: {err.strerror or err}.") from None
    if b"\x00" in raw:
        raise DataError(f"{path.name}: not a MovieLens text file (binary or UTF-16 content).")
    try:
        return raw.decode("utf-8-sig")  # a re-encoded copy (BOM allowed); ASCII-only files land here too
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # the official encoding of ml-100k and ml-1m


def _split_lines(text: str) -> list[str]:
    """Lines of a text (trailing blank lines dropped). Only \\n (and \\r\\n) end a line:
    str.splitlines would also split at \\x85, \\x0b, \\x0c and \\x1c-\\x1e, bytes that occur inside
    Latin-1 titles."""
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _fields_frame(lines: list[str], sep: str, names: list[str], shown: str, first_line: int = 1) -> pd.DataFrame:
    """Split lines into string columns, naming the first line with the wrong number of fields."""
    n_fields = len(names)
    split = [line.split(sep) for line in lines]
    for number, parts in enumerate(split, start=first_line):
        if len(parts) != n_fields:
            raise DataError(
                f"{shown}: line {number}: expected {n_fields} fields separated by {sep!r}, found {len(parts)}."
            )
    return pd.DataFrame(split, columns=names)


def _read_table(path: Path, sep: str, names: list[str], header: str | None = None) -> pd.DataFrame:
    """A small delimited file as string columns (the movie and user files), naming the first bad line."""
    _check_regular(path)
    lines = _split_lines(_decode(path))
    if header is not None:
        if not lines or lines[0].strip().lstrip("\ufeff") != header:
            raise DataError(f"{path.name}: line 1: expected the header {header!r}.")
        lines = lines[1:]
    if not lines:
        raise DataError(f"{path.name}: the file is empty.")
    return _fields_frame(lines, sep, names, path.name, first_line=2 if header else 1)


def _to_int(
    frame: pd.DataFrame, column: str, path: Path, low: int = 0, high: int = MAX_ID, first_line: int = 1
) -> np.ndarray:
    """Integers of a column, each within [low, high], or DataError naming the first bad line."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"{path.name}: line {row + first_line}: {column} {frame[column].iloc[row]!r} is not an integer."
        )
    as_float = values.to_numpy(dtype=np.float64)
    if not np.all(as_float == np.round(as_float)):
        row = int(np.argmax(as_float != np.round(as_float)))
        raise DataError(
            f"{path.name}: line {row + first_line}: {column} {frame[column].iloc[row]!r} is not an integer."
        )
    _check_range(as_float, column, path, low, high, first_line, frame[column])
    return as_float.astype(np.int64)


def _check_range(
    values: np.ndarray,
    column: str,
    path: Path,
    low: float,
    high: float,
    first_line: int,
    shown: pd.Series | None = None,
) -> None:
    outside = (values < low) | (values > high)
    if outside.any():
        row = int(np.argmax(outside))
        value = shown.iloc[row] if shown is not None else _num(values[row])
        raise DataError(f"{path.name}: line {row + first_line}: {column} {value} is outside {_num(low)}-{_num(high)}.")


def _num(value: float) -> str:
    """A number as a reader writes it: 5, 4102444800, 0.5."""
    return str(int(value)) if float(value) == int(value) else f"{value:g}"


# ---------------------------------------------------------------- ratings

RATING_COLUMNS = ["user_id", "movie_id", "user_rating", "timestamp"]
_CSV_RATINGS_HEADER = "userId,movieId,rating,timestamp"


def _ratings_format(path: Path, layout: Layout) -> tuple[str, int]:
    """(separator, header lines) of a ratings file: fold files (.base/.test) use u.data's format."""
    if path.suffix in (".base", ".test") or layout is ML100K_LAYOUT:
        return "\t", 0
    return ("::", 0) if layout is ML1M_LAYOUT else (",", 1)


def parse_ratings(path: Path, layout: Layout = ML100K_LAYOUT) -> pd.DataFrame:
    """A ratings file (or a uN.base/.test fold file) as user_id/movie_id (int32), user_rating
    (float32) and timestamp (int64), every value checked.

    The file is read by pandas' C parser with fixed dtypes; when it refuses a line, the line-by-line
    checker names the first bad line (and reads what the C parser cannot, e.g. trailing blanks).
    """
    _check_regular(path)
    sep, header = _ratings_format(path, layout)
    try:
        columns = _read_ratings_fast(path, sep, header)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OverflowError):
        columns = _read_ratings_checked(path, sep, header)
    ratings = _checked_ratings(columns, path, 1 + header, half_stars=layout is CSV_LAYOUT)
    if not len(ratings):
        raise DataError(f"{path.name}: the file is empty.")
    return ratings


def _read_ratings_fast(path: Path, sep: str, header: int) -> list[np.ndarray]:
    """The four columns by pandas' C parser (ids and times as int64, stars as float64)."""
    if header:
        with path.open("rb") as handle:
            first = handle.readline().decode("utf-8-sig", "replace").strip()
        if first != _CSV_RATINGS_HEADER:
            raise DataError(f"{path.name}: line 1: expected the header {_CSV_RATINGS_HEADER!r}, found {first[:60]!r}.")
    if sep == "::":  # the C parser takes one character: "a::b" is a, "", b, the empty fields checked
        names = ["user_id", "_1", "movie_id", "_2", "user_rating", "_3", "timestamp"]
        frame = pd.read_csv(
            path,
            sep=":",
            header=None,
            names=names,
            dtype={"user_id": np.int64, "movie_id": np.int64, "user_rating": np.float64, "timestamp": np.int64},
            engine="c",
            skip_blank_lines=False,
            na_filter=True,
        )
        if not frame[["_1", "_2", "_3"]].isna().all().all():
            raise ValueError("non-empty field between the colons")
    else:
        frame = pd.read_csv(
            path,
            sep=sep,
            header=None,
            skiprows=header,
            names=RATING_COLUMNS,
            dtype={"user_id": np.int64, "movie_id": np.int64, "user_rating": np.float64, "timestamp": np.int64},
            engine="c",
            skip_blank_lines=False,
        )
    if frame["user_rating"].isna().any():
        raise ValueError("missing rating")
    return [frame[c].to_numpy() for c in RATING_COLUMNS]


def _read_ratings_checked(path: Path, sep: str, header: int) -> list[np.ndarray]:
    """The four columns read line by line in chunks, or DataError naming the first bad line."""
    text = _decode(path)
    lines = _split_lines(text)
    del text
    if header:
        lines = lines[1:]
    if not lines:
        raise DataError(f"{path.name}: the file is empty.")
    parts: list[list[np.ndarray]] = []
    for start in range(0, len(lines), _CHUNK_LINES):
        first = start + 1 + header
        frame = _fields_frame(lines[start : start + _CHUNK_LINES], sep, RATING_COLUMNS, path.name, first)
        stars = pd.to_numeric(frame["user_rating"], errors="coerce").to_numpy(np.float64)
        bad = np.isnan(stars)
        if bad.any():
            row = int(np.argmax(bad))
            raise DataError(
                f"{path.name}: line {row + first}: user_rating {frame['user_rating'].iloc[row]!r} is not a number."
            )
        parts.append(
            [
                _to_int(frame, "user_id", path, 1, first_line=first),
                _to_int(frame, "movie_id", path, 1, first_line=first),
                stars,
                _to_int(frame, "timestamp", path, 0, MAX_TIMESTAMP, first_line=first),
            ]
        )
    return [np.concatenate([p[i] for p in parts]) for i in range(4)]


def _checked_ratings(columns: list[np.ndarray], path: Path, first_line: int, half_stars: bool) -> pd.DataFrame:
    """Range, star-step and duplicate checks, naming the first bad line; the typed frame."""
    users, movies, stars, times = columns
    _check_range(users, "user_id", path, 1, MAX_ID, first_line)
    _check_range(movies, "movie_id", path, 1, MAX_ID, first_line)
    step = 2.0 if half_stars else 1.0
    uneven = stars * step != np.round(stars * step)
    if uneven.any():
        row = int(np.argmax(uneven))
        kind = "a half star" if half_stars else "an integer"
        raise DataError(f"{path.name}: line {row + first_line}: user_rating {_num(stars[row])} is not {kind}.")
    low = 0.5 if half_stars else 1.0
    outside = (stars < low) | (stars > 5)
    if outside.any():
        row = int(np.argmax(outside))
        raise DataError(f"{path.name}: line {row + first_line}: rating {_num(stars[row])} is outside {_num(low)}-5.")
    _check_range(times, "timestamp", path, 0, MAX_TIMESTAMP, first_line)
    ratings = pd.DataFrame(
        {
            "user_id": users.astype(np.int32),
            "movie_id": movies.astype(np.int32),
            "user_rating": stars.astype(np.float32),
            "timestamp": times.astype(np.int64),
        }
    )
    repeated = ratings.duplicated(["user_id", "movie_id"]).to_numpy()
    if repeated.any():
        row = int(np.argmax(repeated))
        found = ratings.iloc[row]
        raise DataError(
            f"{path.name}: line {row + first_line}: user {found['user_id']} rated movie {found['movie_id']} twice."
        )
    return ratings


# ---------------------------------------------------------------- movies and users


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
    raw = _read_table(path, "|", names)
    flags = raw[list(GENRES)]
    bad = ~flags.isin(["0", "1"]).all(axis=1).to_numpy()
    if bad.any():
        line = int(np.argmax(bad)) + 1
        raise DataError(f"{path.name}: line {line}: genre flags must be 0 or 1.")
    flag_values = flags.to_numpy() == "1"
    genres = [tuple(g for g, on in zip(GENRES, row, strict=True) if on) for row in flag_values]
    movies = _movies_frame(_to_int(raw, "movie_id", path, 1), raw["movie_title"], genres, raw["release_date"].str[-4:])
    _check_unique(movies, "movie_id", path)
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
    raw = _read_table(path, "::", ["movie_id", "movie_title", "genres"])
    ids = _to_int(raw, "movie_id", path, 1)
    genres = _genre_tuples(raw["genres"], ML1M_LAYOUT, path, 1)
    movies = _movies_frame(ids, raw["movie_title"], genres, _year_of(raw["movie_title"]))
    _check_unique(movies, "movie_id", path)
    return movies


def _parse_movies_csv(path: Path) -> pd.DataFrame:
    """movies.csv: movieId,title,genres with a header, titles quoted where they hold commas (UTF-8)."""
    _check_regular(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, engine="c", encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as err:
        reason = str(err).strip().splitlines()[0][:120] if str(err).strip() else type(err).__name__
        raise DataError(f"{path.name}: {reason}.") from None
    expected = ["movieId", "title", "genres"]
    if list(raw.columns) != expected:
        raise DataError(f"{path.name}: line 1: expected the header {','.join(expected)!r}.")
    if not len(raw):
        raise DataError(f"{path.name}: the file is empty.")
    raw.columns = ["movie_id", "movie_title", "genres"]
    ids = _to_int(raw, "movie_id", path, 1, first_line=2)
    genres = _genre_tuples(raw["genres"], CSV_LAYOUT, path, 2)
    movies = _movies_frame(ids, raw["movie_title"].str.strip(), genres, _year_of(raw["movie_title"].str.strip()))
    _check_unique(movies, "movie_id", path, first_line=2)
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
    raw = _read_table(path, "|", ["user_id", "age", "gender", "occupation", "zip"])
    ages = _to_int(raw, "age", path, 0, 150)
    _check_gender(raw, path)
    buckets = np.array([bucketize_age(a) for a in ages])
    users = _users_frame(_to_int(raw, "user_id", path, 1), ages, buckets, raw)
    _check_unique(users, "user_id", path)
    return users


def _parse_users_1m(path: Path) -> pd.DataFrame:
    """users.dat: UserID::Gender::Age::Occupation::Zip-code (age as its bucket, occupation as a code).

    ML-1M publishes only the age bucket: raw_user_age is the bucket's lower bound."""
    raw = _read_table(path, "::", ["user_id", "gender", "age", "occupation_code", "zip"])
    ages = _to_int(raw, "age", path, 1, 56)
    off_bucket = ~np.isin(ages, AGE_BUCKETS)
    if off_bucket.any():
        line = int(np.argmax(off_bucket)) + 1
        raise DataError(f"{path.name}: line {line}: age {ages[line - 1]} is not one of ML-1M's codes {AGE_BUCKETS}.")
    _check_gender(raw, path)
    codes = _to_int(raw, "occupation_code", path, 0, len(ML1M_OCCUPATIONS) - 1)
    raw["occupation"] = [ML1M_OCCUPATIONS[c] for c in codes]
    users = _users_frame(_to_int(raw, "user_id", path, 1), ages, ages, raw)
    _check_unique(users, "user_id", path)
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


def _check_unique(frame: pd.DataFrame, column: str, path: Path, first_line: int = 1) -> None:
    dup = frame[column].duplicated().to_numpy()
    if dup.any():
        row = int(np.argmax(dup))
        raise DataError(f"{path.name}: line {row + first_line}: duplicate {column} {frame[column].iloc[row]}.")


def _check_references(layout: Layout, ratings: pd.DataFrame, movies: pd.DataFrame, users: pd.DataFrame) -> None:
    first_line = 2 if layout is CSV_LAYOUT else 1
    for column, known, name in (("user_id", users, layout.users_file), ("movie_id", movies, layout.movies_file)):
        unknown = ~ratings[column].isin(known[column]).to_numpy()
        if unknown.any():
            row = int(np.argmax(unknown))
            raise DataError(
                f"{layout.ratings_file}: line {row + first_line}: {column} {ratings[column].iloc[row]} is not in {name}."
            )


# ---------------------------------------------------------------- splits


def make_split(data: MovieLens, name: str = RANDOM_SPLIT, seed: int = 42, test_fraction: float = 0.2) -> Split:
    """A deterministic train/test split.

    Args:
        data: the parsed data set.
        name: 'random' (seeded shuffle), an official fold u1..u5, ua, ub, or a time-ordered split
            ('last-out', 'last-out-val', 'temporal': recexplore/data/sequences.py).
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
    from recexplore.data.sequences import SEQUENTIAL_SPLITS, split_rows

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
