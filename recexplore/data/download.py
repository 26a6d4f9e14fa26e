"""TODO docstring."""

from __future__ import annotations

import os
import shutil
import zipfile
import zlib
from pathlib import Path

from recexplore.config.text import byte_size, one_line
from recexplore.data.hashing import sha256_file
from recexplore.data.movielens import DATA_ENV, MAX_DATA_FILE_BYTES, DataError, cache_dir
from recexplore.data.sources import DEFAULT_DATASET, LAYOUTS, DataSource, layout_of, source

MAX_ZIP_BYTES = 1 << 30  # a zip given as --data


MAX_ZIP_MEMBERS = 1_000


MAX_ZIP_RATIO = 200  # uncompressed / compressed size of one member (deflated text is ~4)


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


def extract_zip(zip_path: Path) -> Path:
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
        reason = one_line(err)
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
        raise DataError(f"{shown} unpacks to {byte_size(total)} but the cache folder has {byte_size(free)} free.")
    return wanted


def _free_bytes(folder: Path) -> int:
    """Free disk bytes where `folder` is (or would be)."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free
    return 0


def download_official_zip(wanted: DataSource) -> Path:
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
        reason = one_line(err)
        raise DataUnavailable(f"download failed: {reason[:120]}", wanted) from None
    if zip_path.stat().st_size != wanted.zip_size or sha256_file(zip_path) != wanted.zip_sha256:
        raise DataError(
            f"Downloaded {zip_path} does not match the official {wanted.name}.zip checksum; delete it and retry."
        )
    folder = extract_zip(zip_path)
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


def downloaded_folder(dataset: str = DEFAULT_DATASET) -> Path:
    """Where a data set's verified official download is kept (once there, it is never fetched again)."""
    return cache_dir() / "downloads" / dataset
