"""A hostile registry matrix: foreign folders, look-alike hidden names, forged and damaged entries,
special files and links. Nothing outside our own entries may change (the whole tree is hashed
before and after), and every fault is one line."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from recexplore.cli.main import main
from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.store import entry_format, manifest, registry
from recexplore.store.entry_format import RegistryError
from recexplore.training.trainer import TrainResult, train
from tests.conftest import tiny_towers_config


@pytest.fixture(scope="module")
def result(ml_folder: Path) -> TrainResult:
    data = load_movielens(ml_folder)
    return train("towers", data, make_split(data), tiny_towers_config())


def tree_digest(root: Path) -> str:
    """Every path under `root` with its type and, for regular files, its bytes (links not followed)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        digest.update(f"{path.relative_to(root)}|{stat.S_IFMT(info.st_mode)}\n".encode())
        if stat.S_ISREG(info.st_mode):
            digest.update(path.read_bytes())
        elif stat.S_ISLNK(info.st_mode):
            digest.update(os.readlink(path).encode())
    return digest.hexdigest()


def foreign_home(root: Path) -> Path:
    """A folder someone might mistype as --models-dir: their own files, and hidden folders whose
    names look like the registry's temporary ones."""
    (root / "Documents").mkdir(parents=True)
    (root / "Documents" / "thesis.txt").write_text("four years of work")
    (root / "projects").mkdir()
    (root / "projects" / "meta.json").write_text("{}")  # a file name of ours, in a folder that is not
    for hidden in (".tmp-x-deadbeef", ".deleted-y-12345678", ".trash-projects-abcdef12"):
        (root / hidden).mkdir()
        (root / hidden / "notes.txt").write_text("mine")
    return root


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert "Traceback" not in captured.err + captured.out
    return code, "\n".join(lines)


# ---------------------------------------------------------------- folders that are not ours


@pytest.mark.parametrize(
    "argv",
    [
        ["models", "delete", "projects"],
        ["models", "delete", "Documents"],
        ["models", "delete", "nothing-here"],
        ["models", "list"],
        ["recommend", "--user", "1", "--model", "projects"],
    ],
    ids=["delete-projects", "delete-documents", "delete-missing", "list", "recommend"],
)
def test_a_folder_that_is_not_a_registry_is_refused_and_untouched(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = foreign_home(tmp_path / "home")
    before = tree_digest(home)
    code, err = run_cli([*argv, "--models-dir", str(home)], capsys)
    assert code in (1, 2) and len(err.splitlines()) == 1 and "not a RecExplore models folder" in err
    assert tree_digest(home) == before


def test_saving_into_a_foreign_folder_is_refused_before_anything_is_written(
    result: TrainResult, tmp_path: Path
) -> None:
    home = foreign_home(tmp_path / "home")
    before = tree_digest(home)
    with pytest.raises(RegistryError, match="not a RecExplore models folder"):
        registry.save(result, "Documents", home, overwrite=True)
    assert registry.writable_problem(
        home
    ) is not None and "not a RecExplore models folder" in registry.writable_problem(home)
    assert tree_digest(home) == before


def test_inside_a_registry_only_our_entries_are_touched(
    result: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A registry that also holds foreign folders: saves, overwrites, deletes and the recovery
    sweep leave every one of them exactly as it was."""
    models = tmp_path / "models"
    registry.save(result, "ours", models)
    foreign_home(models)
    foreign = {
        p: tree_digest(p) if p.is_dir() else None
        for p in models.iterdir()
        if p.name not in ("ours", entry_format.MARKER_FILE)
    }
    with pytest.raises(RegistryError, match="exists and is not a saved model"):
        registry.save(result, "Documents", models, overwrite=True)
    with pytest.raises(RegistryError, match="No model named 'projects'"):
        registry.delete("projects", models)
    registry.save(result, "ours", models, overwrite=True)  # runs the recovery sweep
    registry.save(result, "second", models)
    registry.delete("second", models)
    assert [e.name for e in registry.list_entries(models)] == ["ours"]  # foreign folders are not listed
    assert run_cli(["models", "delete", "projects", "--models-dir", str(models)], capsys)[0] == 1
    for path, digest in foreign.items():
        assert path.exists() and tree_digest(path) == digest, path.name


def test_an_empty_folder_is_adopted_and_a_missing_one_created(result: TrainResult, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert registry.list_entries(empty) == [] and not (empty / entry_format.MARKER_FILE).exists()
    registry.save(result, "a", empty)
    registry.save(result, "b", tmp_path / "new" / "deeper")
    assert (empty / entry_format.MARKER_FILE).is_file() and (
        tmp_path / "new" / "deeper" / entry_format.MARKER_FILE
    ).is_file()


# ---------------------------------------------------------------- forged and damaged entries


def _resign(folder: Path, key: bytes | None = None) -> None:
    """Recompute the manifest for the folder's current files, signed with `key` (default: ours)."""
    contents = {n: (folder / n).read_bytes() for n in entry_format.ENTRY_FILES}
    signed = manifest.build(contents)
    if key is not None:
        import hmac

        files = signed["files"]
        signed["signature"] = (
            "hmac-sha256:" + hmac.new(key, manifest.digest(files).encode(), hashlib.sha256).hexdigest()
        )
    (folder / manifest.MANIFEST_FILE).write_text(json.dumps(signed))


def _edit_meta(change: Callable[[dict], object]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        meta = json.loads((folder / entry_format.META_FILE).read_text())
        replaced = change(meta)
        (folder / entry_format.META_FILE).write_text(json.dumps(meta if replaced is None else replaced))

    return apply


def _deep_meta(folder: Path, depth: int) -> None:
    """meta.json whose metrics are `depth` nested lists (written as text: json.dumps would recurse)."""
    meta = json.loads((folder / entry_format.META_FILE).read_text())
    meta["metrics"] = "__deep__"
    text = json.dumps(meta).replace('"__deep__"', "[" * depth + "1" + "]" * depth)
    (folder / entry_format.META_FILE).write_text(text)


FORGERIES: dict[str, tuple[Callable[[Path], None], bool, str]] = {
    # name: (damage, re-signed with our key, expected problem)
    "metrics edited": (
        _edit_meta(lambda m: m["metrics"].update(hit_rate_at_10=0.99)),
        False,
        "does not match the manifest",
    ),
    "metrics edited, hashes recomputed, no key": (
        _edit_meta(lambda m: m["metrics"].update(hit_rate_at_10=0.99)),
        "other-key",
        "signature does not match",
    ),
    "vocabulary reversed, no key": (
        _edit_meta(lambda m: m["vocab"]["user_ids"].reverse()),
        "other-key",
        "signature does not match",
    ),
    "signature removed": (lambda f: None, "unsigned", "not signed"),
    "model truncated": (lambda f: os.truncate(f / entry_format.MODEL_FILE, 1000), False, "does not match the manifest"),
    "model swapped, hashes recomputed, no key": (
        lambda f: (f / entry_format.MODEL_FILE).write_bytes(
            (f.parent / "other" / entry_format.MODEL_FILE).read_bytes()[:-1] + b"\0"
        ),
        "other-key",
        "signature does not match",
    ),
    "deeply nested metadata": (lambda f: _deep_meta(f, 5000), True, "valid JSON|nested deeper"),
    "nested just too deep": (lambda f: _deep_meta(f, 8), True, "nested deeper than"),
    "metrics a list": (_edit_meta(lambda m: m.update(metrics=[])), True, "metrics must map names to finite numbers"),
    "metric a string": (_edit_meta(lambda m: m["metrics"].update(test_rmse="good")), True, "finite numbers"),
    "unknown kind": (_edit_meta(lambda m: m.update(kind="svd")), True, "unknown model kind 'svd'"),
    "unknown field": (_edit_meta(lambda m: m.update(payload="x")), True, "unknown field 'payload'"),
    "metadata not an object": (_edit_meta(lambda m: [1, 2]), True, "not an object"),
    "manifest garbage": (
        lambda f: (f / manifest.MANIFEST_FILE).write_text("{{{"),
        False,
        "manifest.json is not valid JSON",
    ),
    "manifest lists an extra file": (
        lambda f: (f / manifest.MANIFEST_FILE).write_text(
            json.dumps({"format": 2, "files": {"meta.json": {}, "model.keras": {}, "x": {}}})
        ),
        False,
        "must list exactly",
    ),
    "manifest missing": (lambda f: (f / manifest.MANIFEST_FILE).unlink(), False, "manifest.json is missing"),
    "model is a symbolic link": (
        lambda f: (
            (f / entry_format.MODEL_FILE).unlink(),
            (f / entry_format.MODEL_FILE).symlink_to(f.parent / "other" / entry_format.MODEL_FILE),
        ),
        False,
        "symbolic link",
    ),
    "model is a named pipe": (
        lambda f: ((f / entry_format.MODEL_FILE).unlink(), os.mkfifo(f / entry_format.MODEL_FILE)),
        False,
        "not a regular file",
    ),
    "model too large": (
        lambda f: os.truncate(f / entry_format.MODEL_FILE, entry_format.MAX_MODEL_BYTES + 1),
        False,
        "larger than",
    ),
}


@pytest.mark.parametrize("case", sorted(FORGERIES))
def test_forged_and_damaged_entries_are_listed_broken(
    case: str, result: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damage, resign, expected = FORGERIES[case]
    models = tmp_path / "models"
    registry.save(result, "victim", models)
    registry.save(result, "other", models)
    folder = models / "victim"
    damage(folder)
    if resign is True:
        _resign(folder)
    elif resign == "other-key":
        _resign(folder, key=b"0" * 64)
    elif resign == "unsigned":
        signed = json.loads((folder / manifest.MANIFEST_FILE).read_text())
        del signed["signature"]
        (folder / manifest.MANIFEST_FILE).write_text(json.dumps(signed))
    before = tree_digest(models)
    entries = {e.name: e for e in registry.list_entries(models)}
    assert entries["other"].ok
    victim = entries["victim"]
    assert not victim.ok and "\n" not in victim.problem
    import re

    assert re.search(expected, victim.problem), victim.problem
    with pytest.raises(RegistryError, match="broken"):
        registry.load("victim", models)
    code, _ = run_cli(["models", "list", "--models-dir", str(models)], capsys)
    assert code == 0
    assert tree_digest(models) == before  # listing and loading change nothing


def test_a_device_node_is_never_read(result: TrainResult, tmp_path: Path) -> None:
    models = tmp_path / "models"
    registry.save(result, "victim", models)
    target = models / "victim" / entry_format.MODEL_FILE
    target.unlink()
    try:
        os.mknod(target, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero's numbers
    except (PermissionError, OSError) as err:
        pytest.skip(f"mknod is not allowed here ({err})")
    (entry,) = registry.list_entries(models)
    assert not entry.ok and "not a regular file" in entry.problem


def test_kind_swapped_and_signed_is_refused_at_load(result: TrainResult, tmp_path: Path) -> None:
    """Someone holding the key labels a two-tower file as a DLRM: it lists, but never loads."""
    models = tmp_path / "models"
    registry.save(result, "victim", models)
    _edit_meta(lambda m: m.update(kind="dlrm"))(models / "victim")
    _resign(models / "victim")
    with pytest.raises(RegistryError, match="says dlrm, the file holds a TwoTowerModel"):
        registry.load("victim", models)


def test_vocabulary_that_does_not_fit_the_tables_is_refused(result: TrainResult, tmp_path: Path) -> None:
    models = tmp_path / "models"
    registry.save(result, "victim", models)
    _edit_meta(lambda m: m["vocab"]["user_ids"].append(10**6))(models / "victim")
    _resign(models / "victim")
    with pytest.raises(RegistryError, match="user_id table has"):
        registry.load("victim", models)


def test_the_shipped_entries_are_trusted_without_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh clone has no signing key: the pretrained entries verify by their pinned digests."""
    monkeypatch.setenv(manifest.KEY_FILE_ENV, str(tmp_path / "no-key-here"))
    entries = registry.list_entries(registry.DEFAULT_MODELS_DIR)
    assert entries and all(e.ok for e in entries), [(e.name, e.problem) for e in entries]
    assert not (tmp_path / "no-key-here").exists()
