"""Presets kept for one data set: kept from a sweep record, offered only on that data set, never
shadowing a built-in preset, and a broken file skipped with its problem named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from recexplore.store.data_presets import (
    PRESETS_FOLDER,
    PresetError,
    find_preset,
    keep_preset,
    preset_problems,
    presets_for,
)


def _record(fingerprint: str = "abc123", **best: Any) -> dict[str, Any]:
    return {
        "kind": "towers",
        "preset": "2-layer",
        "fixed": {"epochs": 3},
        "metric": "hit_rate_at_10",
        "data_fingerprint": fingerprint,
        "best": {"settings": best or {"learning_rate": 0.004, "embedding_dim": 64}, "validation": 0.1234},
        "tested": {"best": {"hit_rate_at_10": 0.11}, "preset": {"hit_rate_at_10": 0.09}},
        "record": "/x/.sweeps/towers-1.json",
    }


def test_kept_preset_is_offered_on_its_data_set_only(tmp_path: Path) -> None:
    path = keep_preset(_record(), "tuned", tmp_path)
    assert path == tmp_path / PRESETS_FOLDER / "abc123" / "towers-tuned.json"
    [preset] = presets_for("towers", "abc123", [tmp_path])
    config = preset.config()
    # the sweep's best on top of its base preset (2-layer widths) and the fixed settings
    assert (config.learning_rate, config.embedding_dim, config.layers, config.epochs) == (0.004, 64, (64, 32), 3)
    assert preset.validation == pytest.approx(0.1234)
    assert preset.tested["best"]["hit_rate_at_10"] == pytest.approx(0.11)
    assert "0.1234" in preset.label()
    assert presets_for("towers", "other", [tmp_path]) == []
    assert presets_for("dlrm", "abc123", [tmp_path]) == []
    assert find_preset("towers", "abc123", "tuned", [tmp_path]) == preset
    assert find_preset("towers", "abc123", "missing", [tmp_path]) is None


def test_keeping_a_name_again_replaces_it_and_newest_come_first(tmp_path: Path) -> None:
    keep_preset(_record(learning_rate=0.004), "a", tmp_path)
    keep_preset(_record(learning_rate=0.006), "b", tmp_path)
    keep_preset(_record(learning_rate=0.008), "a", tmp_path)
    found = presets_for("towers", "abc123", [tmp_path])
    assert sorted(p.name for p in found) == ["a", "b"]
    assert {p.name: p.settings["learning_rate"] for p in found} == {"a": 0.008, "b": 0.006}
    assert found[0].kept_at >= found[1].kept_at


def test_first_folder_wins_a_name_kept_in_two(tmp_path: Path) -> None:
    own, shared = tmp_path / "own", tmp_path / "shared"
    keep_preset(_record(learning_rate=0.004), "same", own)
    keep_preset(_record(learning_rate=0.006), "same", shared)
    [preset] = presets_for("towers", "abc123", [own, shared])
    assert preset.settings["learning_rate"] == 0.004


@pytest.mark.parametrize(
    ("record", "name", "words"),
    [
        (_record(), "1-layer", "built-in"),
        (_record(), "bad name!", "1-40 letters"),
        (_record(), "", "1-40 letters"),
        ({**_record(), "best": None}, "x", "no finished trial"),
        ({**_record(), "data_fingerprint": "../../etc"}, "x", "does not name the data set"),
        (_record(learning_rate=-1.0), "x", "learning_rate"),
    ],
)
def test_bad_keep_is_one_line_and_writes_nothing(tmp_path: Path, record: dict, name: str, words: str) -> None:
    with pytest.raises(ValueError, match=words) as caught:
        keep_preset(record, name, tmp_path)
    assert "\n" not in str(caught.value)
    assert not (tmp_path / PRESETS_FOLDER).exists() or not any((tmp_path / PRESETS_FOLDER).rglob("*.json"))


def test_preset_error_is_a_value_error() -> None:
    assert issubclass(PresetError, ValueError)


def test_broken_or_misplaced_files_are_skipped_and_named(tmp_path: Path) -> None:
    keep_preset(_record(), "good", tmp_path)
    folder = tmp_path / PRESETS_FOLDER / "abc123"
    (folder / "towers-garbage.json").write_text("{not json")
    moved = json.loads((folder / "towers-good.json").read_text())
    (folder / "towers-renamed.json").write_text(json.dumps(moved))  # its name says 'good'
    (folder / "towers-bad.json").write_text(json.dumps({**moved, "name": "bad", "settings": {"nope": 1}}))
    (folder / "towers-link.json").symlink_to(folder / "towers-good.json")
    assert [p.name for p in presets_for("towers", "abc123", [tmp_path])] == ["good"]
    problems = preset_problems("towers", "abc123", [tmp_path])
    assert len(problems) == 3
    assert any(p.startswith("towers-bad.json") and "nope" in p for p in problems)
    assert all("\n" not in p for p in problems)


# ---------------------------------------------------------------- the command line


def test_train_uses_a_preset_kept_for_its_data_set(ml_folder: Path, tmp_path: Path, capsys: Any) -> None:
    from recexplore.cli.main import main
    from recexplore.data.loading import load_movielens

    models = tmp_path / "models"
    fingerprint = load_movielens(ml_folder).fingerprint
    record = {**_record(fingerprint, learning_rate=0.004, embedding_dim=4, batch_size=128), "preset": "1-layer"}
    record["fixed"] = {"epochs": 1}
    keep_preset(record, "mine", models)
    argv = ["train", "towers", "--data", str(ml_folder), "--models-dir", str(models), "--preset", "mine"]
    assert main([*argv, "--json"]) == 0
    config = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["config"]
    assert (config["learning_rate"], config["embedding_dim"], config["epochs"], config["layers"]) == (0.004, 4, 1, [32])
    # a flag given beside the preset wins over it
    assert main([*argv, "--embedding-dim", "8", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["config"]["embedding_dim"] == 8


def test_train_refuses_a_preset_kept_for_another_data_set(ml_folder: Path, tmp_path: Path, capsys: Any) -> None:
    from tests.test_cli_bad_input import run_inprocess

    models = tmp_path / "models"
    keep_preset(_record("someotherdata"), "elsewhere", models)
    argv = ["train", "towers", "--data", str(ml_folder), "--models-dir", str(models), "--preset", "elsewhere"]
    run_inprocess(argv, capsys, 2, "no such preset for towers on this data set", "1-layer")


@pytest.mark.parametrize(("name", "words"), [("2-layer", "built-in"), ("no way", "1-40 letters")])
def test_tune_refuses_a_name_it_cannot_keep_before_sweeping(name: str, words: str, capsys: Any) -> None:
    from tests.test_cli_bad_input import run_inprocess

    run_inprocess(["tune", "towers", "--keep", name], capsys, 2, words)
