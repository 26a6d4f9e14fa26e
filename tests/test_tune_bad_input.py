"""`tune` bad input beyond the flags' own checks: a budget that ends before any trial finishes, and a
family that declares nothing to sweep; each one line, nothing saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from recexplore import families
from tests.test_cli_bad_input import run_inprocess


def test_a_budget_below_one_trial_is_one_line(
    ml_folder: Path, tmp_path: Path, ray_engine: None, capsys: pytest.CaptureFixture[str]
) -> None:
    models = tmp_path / "models"
    argv = ["tune", "towers", "--data", str(ml_folder), "--trials", "2", "--time-budget", "0.001", "--json"]
    line = run_inprocess([*argv, "--models-dir", str(models)], capsys, 1, "time budget")
    assert "0.001" in line
    assert not (models / ".sweeps").exists() or not any((models / ".sweeps").iterdir())


def test_a_family_that_declares_no_space_cannot_be_swept(
    ml_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(families.FAMILY_MODULES, "toy", "tests.toy_family")
    from recexplore.cli.main import main

    assert families.family("toy").space == {}
    code = main(["tune", "toy", "--data", str(ml_folder)])
    captured = capsys.readouterr()
    assert code == 2 and "nothing to sweep" in captured.err and len(captured.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("learning_rate=log:0.01:0.01", "0 < low < high"),
        ("learning_rate=log:0.02:0.01", "0 < low < high"),
        ("epochs=int:5:2", "epochs"),
        ("layers=choice:", "--space layers"),
    ],
)
def test_an_empty_range_is_one_line(spec: str, words: str, capsys: pytest.CaptureFixture[str]) -> None:
    run_inprocess(["tune", "towers", "--space", spec], capsys, 2, words)
