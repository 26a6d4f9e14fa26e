"""Hostile data: a zip matrix (corrupt, encrypted, unsupported compression, a bomb, duplicate and
too many members) and a data-limits matrix (sizes, rows, ranges, duplicates, special files, bad
folds). Each is one line, and nothing half-extracted stays in the cache."""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from recexplore.cli.main import main
from recexplore.config import memory
from recexplore.data import movielens as data_module
from recexplore.data import parse, text_tables
from recexplore.data.loading import load_movielens
from recexplore.data.movielens import DataError
from recexplore.data.splits import make_split
from tests.synthetic import write_fold

CORE = ("u.data", "u.item", "u.user")


def _zip_of(folder: Path, members: dict[str, bytes] | None = None, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """An in-memory zip of the synthetic folder's core files under ml-100k/ (plus `members`)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as archive:
        for name in CORE:
            archive.writestr(f"ml-100k/{name}", (folder / name).read_bytes())
        for name, payload in (members or {}).items():
            archive.writestr(name, payload)
    return buf.getvalue()


def _set_flag(raw: bytes, bit: int) -> bytes:
    """Set a general-purpose flag bit in every local and central header (zipfile cannot write it)."""
    out = bytearray(raw)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = out.find(signature)
        while start != -1:
            flags = int.from_bytes(out[start + offset : start + offset + 2], "little") | bit
            out[start + offset : start + offset + 2] = flags.to_bytes(2, "little")
            start = out.find(signature, start + 4)
    return bytes(out)


def _set_method(raw: bytes, method: int) -> bytes:
    """Claim a compression method in every header (99: one no reader knows)."""
    out = bytearray(raw)
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = out.find(signature)
        while start != -1:
            out[start + offset : start + offset + 2] = method.to_bytes(2, "little")
            start = out.find(signature, start + 4)
    return bytes(out)


ZIPS: dict[str, tuple[Callable[[Path], bytes], str]] = {
    "corrupt": (lambda f: b"PK\x03\x04" + os.urandom(2000), "not a zip file|Could not read"),
    "truncated": (lambda f: _zip_of(f)[:-200], "Could not read|not a zip file"),
    "encrypted": (lambda f: _set_flag(_zip_of(f), 0x1), "is encrypted"),
    "bzip2": (lambda f: _zip_of(f, compression=zipfile.ZIP_BZIP2), "unsupported compression"),
    "unknown method": (
        lambda f: _set_method(_zip_of(f, compression=zipfile.ZIP_STORED), 99),
        "unsupported compression",
    ),
    "bomb": (lambda f: _zip_of(f, {"ml-100k/u1.base": b"\0" * (8 << 20)}), "zip bomb"),
    "two u.data": (lambda f: _zip_of(f, {"other/u.data": (f / "u.data").read_bytes()}), "u.data more than once"),
    "too many members": (lambda f: _zip_of(f, {f"junk/{i}.txt": b"x" for i in range(1001)}), "holds 1,004 files"),
    "unsafe path": (lambda f: _zip_of(f, {"../escape.txt": b"x"}), "unsafe paths"),
    "no core files": (lambda f: _zip_of(f)[:0] or _only_readme(), "does not contain the MovieLens files"),
}


def _only_readme() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("ml-100k/README", b"hello")
    return buf.getvalue()


@pytest.mark.parametrize("case", sorted(ZIPS))
def test_hostile_zips_are_one_line_and_leave_nothing(
    case: str, ml_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make, expected = ZIPS[case]
    zip_path = tmp_path / "ml-100k.zip"
    zip_path.write_bytes(make(ml_folder))
    with pytest.raises(DataError) as err:
        load_movielens(zip_path)
    import re

    message = str(err.value)
    assert "\n" not in message and re.search(expected, message), message
    extracted = data_module.cache_dir() / "extracted"
    assert not extracted.exists() or list(extracted.iterdir()) == []  # nothing half-extracted stays
    assert main(["data", "--data", str(zip_path)]) == 1
    captured = capsys.readouterr()
    assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err


def test_a_good_zip_still_loads(ml_folder: Path, tmp_path: Path) -> None:
    zip_path = tmp_path / "ml-100k.zip"
    zip_path.write_bytes(_zip_of(ml_folder))
    assert len(load_movielens(zip_path).ratings) == len(load_movielens(ml_folder).ratings)


# ---------------------------------------------------------------- data limits


def _edit(name: str, change: Callable[[list[str]], list[str]]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / name
        lines = path.read_text(encoding="latin-1").split("\n")
        path.write_text("\n".join(change(lines)), encoding="latin-1")

    return apply


def _fields(line: str, sep: str, index: int, value: str) -> str:
    parts = line.split(sep)
    parts[index] = value
    return sep.join(parts)


LIMITS: dict[str, tuple[Callable[[Path], None], str]] = {
    "timestamp overflows int64": (
        _edit("u.data", lambda ls: [_fields(ls[0], "\t", 3, "9" * 25), *ls[1:]]),
        "line 1: timestamp .* is outside 0-4102444800",
    ),
    "negative timestamp": (
        _edit("u.data", lambda ls: [ls[0], _fields(ls[1], "\t", 3, "-5"), *ls[2:]]),
        "line 2: timestamp -5 is outside",
    ),
    "user id wraps int32": (
        _edit("u.data", lambda ls: [_fields(ls[0], "\t", 0, "4294967297"), *ls[1:]]),
        "line 1: user_id 4294967297 is outside 1-2147483647",
    ),
    "duplicate rating": (_edit("u.data", lambda ls: [ls[0], ls[0], *ls[1:]]), "line 2: user .* rated movie .* twice"),
    "age out of range": (_edit("u.user", lambda ls: [_fields(ls[0], "|", 1, "400"), *ls[1:]]), "age 400 is outside"),
    "u.data is a named pipe": (lambda f: ((f / "u.data").unlink(), os.mkfifo(f / "u.data")), "not a regular file"),
    "u.data links to /dev/zero": (
        lambda f: ((f / "u.data").unlink(), (f / "u.data").symlink_to("/dev/zero")),
        "not a regular file",
    ),
    "u.data is a folder": (lambda f: ((f / "u.data").unlink(), (f / "u.data").mkdir()), "not a regular file|u.data"),
}


@pytest.mark.parametrize("case", sorted(LIMITS))
def test_data_limits_are_one_line(case: str, ml_folder: Path, tmp_path: Path) -> None:
    damage, expected = LIMITS[case]
    folder = Path(shutil.copytree(ml_folder, tmp_path / "ml-100k"))
    damage(folder)
    with pytest.raises(DataError) as err:
        load_movielens(folder)
    import re

    assert "\n" not in str(err.value) and re.search(expected, str(err.value)), str(err.value)


def test_the_file_ceiling_refuses_clearly(ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-file ceiling (lowered here; the real one is 2 GiB, three times MovieLens 25M's ratings.csv)."""
    monkeypatch.setattr(text_tables, "MAX_DATA_FILE_BYTES", 4096)
    folder = Path(shutil.copytree(ml_folder, tmp_path / "ml-100k"))
    with pytest.raises(DataError, match="larger than the 4 KiB allowed"):
        load_movielens(folder)


def test_a_data_set_larger_than_memory_is_one_line_before_parsing(
    ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound is memory, not a row count: with 1 MB to spare, 1,800 ratings (about 0.14 MB to
    load) fit and a data set that needs more does not, refused before anything is parsed."""
    monkeypatch.setattr(memory, "available_bytes", lambda: 1_000_000)
    folder = Path(shutil.copytree(ml_folder, tmp_path / "ml-100k"))
    assert len(load_movielens(folder).ratings) == 1800
    monkeypatch.setattr(memory, "LOAD_BYTES_PER_RATING", 1000)
    monkeypatch.setattr(parse, "parse_ratings", lambda *a: pytest.fail("parsed a data set that cannot fit"))
    (folder / "u.data").write_bytes((folder / "u.data").read_bytes() + b"\n")  # a new stamp: no cached frames
    with pytest.raises(DataError) as err:
        load_movielens(folder)
    message = str(err.value)
    assert "\n" not in message and re.match(r"ml-100k holds about 0\.0M ratings, which need about 1\.7 MiB", message)
    assert "781.2 KiB to spare" in message and "--dataset" in message


def test_latin1_bytes_that_python_calls_line_breaks_stay_in_their_title(ml_folder: Path, tmp_path: Path) -> None:
    """0x85 (cp1252's ellipsis), 0x0b, 0x0c and 0x1c are not line ends in MovieLens files."""
    folder = Path(shutil.copytree(ml_folder, tmp_path / "ml-100k"))
    raw = (folder / "u.item").read_bytes().split(b"\n")
    first = raw[0].split(b"|")
    first[1] = b"Odd\x85Title\x0bWith\x0cBreaks\x1c (1995)"
    raw[0] = b"|".join(first)
    (folder / "u.item").write_bytes(b"\n".join(raw))
    movies = load_movielens(folder).movies
    assert len(movies) == len(load_movielens(ml_folder).movies)
    assert movies["movie_title"].iloc[0].startswith("Odd\x85Title")


def test_fold_files_are_checked_against_the_data(ml_folder: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(ml_folder, tmp_path / "ml-100k"))
    write_fold(folder, "u2")
    data = load_movielens(folder)
    base = (folder / "u2.base").read_text().split("\n")
    (folder / "u2.test").write_text("\n".join([base[0], *(folder / "u2.test").read_text().split("\n")]))
    with pytest.raises(DataError, match="both hold .* the test part would leak"):
        make_split(data, "u2")
    (folder / "u2.test").write_text("999999\t1\t3\t881250949\n")
    with pytest.raises(DataError, match=r"u2.test: line 1: user_id 999999 is not in the data set"):
        make_split(data, "u2")


def test_a_huge_user_id_on_the_cli_is_one_line(
    ml_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import save_tiny_models

    models = save_tiny_models(tmp_path / "models", ml_folder, {"t": (8,)})
    code = main(
        ["recommend", "--user", "9" * 23, "--model", "t", "--models-dir", str(models), "--data", str(ml_folder)]
    )
    err = capsys.readouterr().err
    assert code == 2 and "Unknown user" in err and len(err.strip().splitlines()) == 1


# ---------------------------------------------------------------- container memory


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"memory.max": "max", "memory.current": "100"}, None),  # v2, no limit
        ({"memory.max": "1610612736", "memory.current": "536870912"}, 1 << 30),  # v2: 1.5 GiB limit, 0.5 used
        ({"memory/memory.limit_in_bytes": "9223372036854771712", "memory/memory.usage_in_bytes": "5"}, None),  # v1 none
        ({"memory/memory.limit_in_bytes": "2147483648", "memory/memory.usage_in_bytes": "3000000000"}, 0),  # over
        ({}, None),  # no cgroup files at all
    ],
)
def test_the_memory_check_reads_the_container_limit(
    files: dict[str, str], expected: int | None, tmp_path: Path
) -> None:
    from recexplore.config.memory import cgroup_available

    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text + "\n")
    assert cgroup_available(tmp_path) == expected


def test_a_job_over_the_container_limit_is_refused_before_it_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a 1.5 GiB container a 2.24 GiB job once passed the host-memory check and was killed."""
    from recexplore.config import memory
    from recexplore.models.towers import TowerConfig
    from recexplore.training.memory import check_training_memory

    monkeypatch.setattr(memory, "cgroup_available", lambda: 64 << 20)
    config = TowerConfig(batch_size=4096)
    with pytest.raises(memory.ResourceError, match="not enough memory"):
        check_training_memory("towers", config, {"user_id": 944, "movie_id": 1683}, 80_000)
