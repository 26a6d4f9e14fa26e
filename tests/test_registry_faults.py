"""Registry fault injection: a save or delete killed at every step, disk full and permission
denied at every step, and concurrent writers. Readers only ever see the old entry or the new one."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from recexplore.data.hashing import sha256_file
from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.store import atomic, entry_format, registry
from recexplore.store.entry_format import RegistryError
from recexplore.training.trainer import train
from tests import registry_crash_child as child
from tests.conftest import registry_leftovers, tiny_towers_config

ROOT = Path(__file__).resolve().parent.parent
NAME = "entry"
MIN_STEPS = {"overwrite": 12, "first save": 8, "delete": 3}  # file-system steps each one takes at least


@pytest.fixture(autouse=True)
def _no_faults_armed() -> Iterator[None]:
    """The in-process step counter starts and ends each test disarmed."""
    child.STEPS.update(count=0, kill_at=0, errno=0)
    yield
    child.STEPS.update(count=0, kill_at=0, errno=0)


@pytest.fixture(scope="module")
def payloads(ml_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two real, different .keras archives ('old' and 'new') and the metadata to save them with."""
    folder = tmp_path_factory.mktemp("payloads")
    data = load_movielens(ml_folder)
    result = train("towers", data, make_split(data), tiny_towers_config())
    result.model.save(folder / "old.keras")
    result.model.set_weights([w + 1.0 for w in result.model.get_weights()])
    result.model.save(folder / "new.keras")
    meta = registry.build_meta(result, NAME)
    (folder / "meta.json").write_text(json.dumps(meta))
    return {"old": folder / "old.keras", "new": folder / "new.keras", "meta": folder / "meta.json"}


def _run_child(directory: Path, op: str, payloads: dict[str, Path], kill_at: int, version: str = "new") -> int:
    """Run one save/delete in a child process; its return code (-SIGKILL when killed)."""
    args = [str(directory), NAME, op]
    if op == "save":
        args += [str(payloads[version]), str(payloads["meta"])]
    command = [sys.executable, "-m", "tests.registry_crash_child", *args, str(kill_at)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode in (0, -signal.SIGKILL), done.stderr
    return done.returncode


def _visible(directory: Path) -> list[tuple[str, str]]:
    """(name, which payload) for every listed entry; every entry must be valid."""
    entries = registry.list_entries(directory)
    for entry in entries:
        assert entry.ok, f"{entry.name}: {entry.problem}"
    return [(e.name, _model_sha(e)) for e in entries]


def _model_sha(entry: entry_format.Entry) -> str:
    """The model file's sha256 as the entry's manifest records it."""
    return json.loads((entry.path / "manifest.json").read_text())["files"][entry_format.MODEL_FILE]["sha256"]


@pytest.mark.parametrize("op", ["overwrite", "first save", "delete"])
def test_killed_at_every_step_leaves_old_or_new_entry(payloads: dict[str, Path], tmp_path: Path, op: str) -> None:
    old, new = sha256_file(payloads["old"]), sha256_file(payloads["new"])
    base = tmp_path / "base"
    base.mkdir()
    if op != "first save":
        assert _run_child(base, "save", payloads, 0, version="old") == 0
    before = _visible(base)
    after = [] if op == "delete" else [(NAME, new)]
    seen, kill_at = [], 1
    while True:
        registry_dir = tmp_path / f"kill-{kill_at}"
        shutil.copytree(base, registry_dir)
        code = _run_child(registry_dir, "delete" if op == "delete" else "save", payloads, kill_at)
        state = _visible(registry_dir)
        assert state in (before, after), f"killed before step {kill_at}: {state}"
        for name, sha in state:  # whichever entry is visible, Keras loads it (safe mode)
            assert sha in (old, new) and registry.load(name, registry_dir).kind == "towers"
        registry.recover(registry_dir)  # the next writer finishes the interrupted work
        assert _visible(registry_dir) == state and not registry_leftovers(registry_dir)
        seen.append(state == after)
        if code == 0:
            break
        kill_at += 1
    print(f"{op}: killed at {kill_at - 1} points, then completed")
    assert kill_at > MIN_STEPS[op] and seen == sorted(seen), seen  # old ... old, then new ... new
    assert seen[0] is False and seen[-1] is True


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EDQUOT])
def test_disk_full_or_permission_denied_at_every_step(
    payloads: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    registry.save(child.fake_result(payloads["old"], payloads["meta"]), NAME, tmp_path)
    old_bytes = (tmp_path / NAME / entry_format.MODEL_FILE).read_bytes()
    monkeypatch.setattr(registry, "library_versions", lambda: {"keras": "test"})
    for attr in child.STEPPED_OS_CALLS:
        monkeypatch.setattr(os, attr, child.counted(getattr(os, attr)))
    failures, fail_at = 0, 1
    while True:
        child.STEPS.update(count=0, kill_at=fail_at, errno=code)
        try:
            registry.save(child.fake_result(payloads["new"], payloads["meta"]), NAME, tmp_path, overwrite=True)
        except RegistryError as err:
            failures += 1
            message = str(err)
            assert "\n" not in message and os.strerror(code) in message and NAME in message
            assert (tmp_path / NAME / entry_format.MODEL_FILE).read_bytes() == old_bytes, (fail_at, message)
        else:
            if child.STEPS["count"] < fail_at:
                break  # ran out of steps: every step has had its failure
            registry.delete(NAME, tmp_path)  # a failure after the new entry was in place: start over
            child.STEPS.update(count=0, kill_at=0)
            registry.save(child.fake_result(payloads["old"], payloads["meta"]), NAME, tmp_path)
        child.STEPS.update(count=0, kill_at=0)
        assert [e.ok for e in registry.list_entries(tmp_path)] == [True] and not registry_leftovers(tmp_path)
        fail_at += 1
    assert failures >= 6


def test_keras_writer_failing_mid_archive_keeps_previous_entry(
    payloads: dict[str, Path], ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real Keras save that hits a full disk part-way through writing the archive."""
    import zipfile

    data = load_movielens(ml_folder)
    result = train("towers", data, make_split(data), tiny_towers_config())
    registry.save(result, NAME, tmp_path)
    before = (tmp_path / NAME / entry_format.META_FILE).read_bytes()
    real_write = zipfile._ZipWriteFile.write  # each member Keras writes into the archive
    calls = {"n": 0}

    def full_after_first(self: zipfile._ZipWriteFile, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(self, data)

    monkeypatch.setattr(zipfile._ZipWriteFile, "write", full_after_first)
    with pytest.raises(RegistryError, match="No space left on device"):
        registry.save(result, NAME, tmp_path, overwrite=True)
    monkeypatch.setattr(zipfile._ZipWriteFile, "write", real_write)
    assert calls["n"] > 1
    assert (tmp_path / NAME / entry_format.META_FILE).read_bytes() == before and not registry_leftovers(tmp_path)
    loaded = registry.load(NAME, tmp_path)
    for mine, theirs in zip(loaded.model.get_weights(), result.model.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs)


def test_concurrent_writers_and_readers(payloads: dict[str, Path], tmp_path: Path) -> None:
    """Six processes overwrite one entry while this process keeps listing it: it is always there, valid."""
    assert _run_child(tmp_path, "save", payloads, 0, version="old") == 0
    shas = {sha256_file(payloads["old"]), sha256_file(payloads["new"])}
    stop, seen, torn = threading.Event(), [], []

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.append(_visible(tmp_path))
            except AssertionError as err:  # an entry listed as broken mid-overwrite
                torn.append(str(err).splitlines()[0])

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        command = [sys.executable, "-m", "tests.registry_crash_child", str(tmp_path), NAME, "save"]
        writers = [
            subprocess.Popen(
                [*command, str(payloads[v]), str(payloads["meta"]), "0"], cwd=ROOT, stdout=subprocess.DEVNULL
            )
            for v in ["new", "old"] * 3
        ]
        assert [w.wait(60) for w in writers] == [0] * 6
    finally:
        stop.set()
        thread.join()
    assert torn == [] and len(seen) > 10
    wrong = [state for state in seen if not (len(state) == 1 and state[0][0] == NAME and state[0][1] in shas)]
    assert wrong == [], f"{len(wrong)} of {len(seen)} listings saw something else, e.g. {wrong[0]}"
    assert not registry_leftovers(tmp_path)


def test_symlinked_entry_is_broken_and_never_loaded(payloads: dict[str, Path], tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    registry.save(child.fake_result(payloads["old"], payloads["meta"]), "real", outside)
    models = tmp_path / "models"
    registry.open_registry(models, create=True)
    (models / "linked").symlink_to(outside / "real", target_is_directory=True)
    (entry,) = registry.list_entries(models)
    assert entry.name == "linked" and not entry.ok and "symbolic link" in entry.problem
    with pytest.raises(RegistryError, match="broken"):
        registry.load("linked", models)


def _hold_write_lock(directory: Path, parked: threading.Event, release: threading.Event) -> None:
    """A writer midway through an overwrite: lock held, the old entry parked under its TRASH name."""
    with atomic.locked(directory):
        trash = directory / f"{entry_format.TRASH}{NAME}-0badcafe"
        (directory / NAME).rename(trash)
        parked.set()
        release.wait(30)
        trash.rename(directory / NAME)


def test_readers_wait_for_a_writer_midway_through_a_swap(
    payloads: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listing or load never scans the folder while a writer is between its renames (a scan
    racing several writers could miss both names); a stuck writer only delays readers by
    READ_LOCK_WAIT_S, after which they read without the lock."""
    registry.save(child.fake_result(payloads["old"], payloads["meta"]), NAME, tmp_path)
    parked, release, listed = threading.Event(), threading.Event(), []
    writer = threading.Thread(target=_hold_write_lock, args=(tmp_path, parked, release))
    writer.start()
    assert parked.wait(30)
    reader = threading.Thread(
        target=lambda: listed.append([(e.name, e.path.name) for e in registry.list_entries(tmp_path)])
    )
    reader.start()
    reader.join(0.5)
    waited = reader.is_alive()  # still blocked on the writer's lock
    release.set()
    writer.join()
    reader.join(30)
    assert waited and listed == [[(NAME, NAME)]]
    assert registry.has_entry(NAME, tmp_path)

    monkeypatch.setattr(atomic, "READ_LOCK_WAIT_S", 0.05)
    parked.clear()
    release.clear()
    writer = threading.Thread(target=_hold_write_lock, args=(tmp_path, parked, release))
    writer.start()
    try:
        assert parked.wait(30)
        entries = registry.list_entries(tmp_path)  # the writer is stuck: read without the lock
        assert [(e.name, e.ok) for e in entries] == [(NAME, True)] and entries[0].path.name.startswith(
            entry_format.TRASH
        )
    finally:
        release.set()
        writer.join()
