"""TODO docstring."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from recexplore.config import memory
from recexplore.config.text import byte_size
from recexplore.data.download import DataUnavailable, download_official_zip, downloaded_folder, extract_zip
from recexplore.data.movielens import DATA_ENV, DataError, chosen_dataset
from recexplore.data.sources import DEFAULT_DATASET, LAYOUTS, NAMES, DataSource, Layout, guess, layout_of, source


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
    return download_official_zip(wanted), wanted


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
        path = extract_zip(path)
    layout = layout_of(path)
    if layout is not None:
        return {_name_of(path, layout, wanted): path}
    found = {name: path / name for name in NAMES if layout_of(path / name) is source(name).layout}
    if found:
        return found
    raise DataError(not_a_data_folder(path))


def _name_of(folder: Path, layout: Layout, wanted: str | None) -> str:
    if wanted is not None and source(wanted).layout is layout:
        return wanted
    return guess(layout, folder.name, _size_or_zero(folder / layout.ratings_file)).name


def _size_or_zero(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def not_a_data_folder(path: Path) -> str:
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


def check_fits(folder: Path, layout: Layout, name: str) -> None:
    """Refuse, in one line, a data set whose parse would not fit in the memory available now
    (rather than a crash or a swap storm halfway through)."""
    ratings = estimated_ratings(folder / layout.ratings_file)
    needed = memory.load_bytes(ratings)
    budget = int(memory.available_bytes() * memory.MEMORY_SHARE)
    if needed > budget:
        raise DataError(
            f"{name} holds about {ratings / 1e6:.1f}M ratings, which need about {byte_size(needed)} to load; "
            f"this machine has {byte_size(budget)} to spare: use a smaller data set (--dataset) or a machine with more memory."
        )
