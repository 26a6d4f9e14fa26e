"""The fold writer: official uN.base/uN.test format, disjoint test parts, a round trip through --split uN."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recexplore.cli.main import main
from recexplore.data.loading import load_movielens
from recexplore.data.movielens import DataError
from recexplore.data.splits import fold_names, make_split, write_folds


def _pairs(frame) -> set[tuple[int, int]]:
    return set(zip(frame["user_id"].tolist(), frame["movie_id"].tolist(), strict=True))


def test_five_disjoint_folds_round_trip_through_the_loader(ml_folder: Path, tmp_path: Path) -> None:
    data = load_movielens(ml_folder)
    out = tmp_path / "folds"
    assert write_folds(data, out, seed=3) == fold_names() == ["u1", "u2", "u3", "u4", "u5"]
    copy = load_movielens(out)
    assert copy.fingerprint == data.fingerprint  # the same data set, so saved models still match it
    everything, tests = _pairs(data.ratings), []
    for name in fold_names():
        line = (out / f"{name}.test").read_text(encoding="latin-1").splitlines()[0].split("\t")
        assert len(line) == 4 and all(part.isdigit() for part in line)  # user, movie, stars, timestamp
        split = make_split(copy, name)
        train, test = _pairs(split.train), _pairs(split.test)
        assert not train & test and train | test == everything
        assert abs(len(test) - len(everything) / 5) <= 1
        tests.append(test)
    assert set().union(*tests) == everything and sum(len(t) for t in tests) == len(everything)  # disjoint
    rows = make_split(copy, "u2").test
    assert rows["user_id"].is_monotonic_increasing  # GroupLens' order: by user, then movie


def test_the_seed_decides_the_folds(ml_folder: Path, tmp_path: Path) -> None:
    data = load_movielens(ml_folder)
    write_folds(data, tmp_path / "a", seed=1)
    write_folds(data, tmp_path / "b", seed=1)
    write_folds(data, tmp_path / "c", seed=2)
    read = lambda folder: (folder / "u1.test").read_bytes()  # noqa: E731
    assert read(tmp_path / "a") == read(tmp_path / "b") != read(tmp_path / "c")


def test_a_folder_with_other_files_is_refused(
    ml_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.txt").write_text("mine")
    with pytest.raises(DataError, match="not a new or empty folder"):
        write_folds(load_movielens(ml_folder), tmp_path / "busy")
    assert main(["folds", "--data", str(ml_folder), "--out", str(tmp_path / "busy")]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == ["thesis.txt"]


def test_the_cli_writes_folds_that_train_runs_on(
    ml_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cv"
    assert main(["folds", "--data", str(ml_folder), "--out", str(out), "--seed", "7", "--json"]) == 0
    assert capsys.readouterr().out.strip().endswith('"seed": 7}')
    assert main(["data", "--data", str(out), "--split", "u4", "--json"]) == 0
    assert np.isclose(
        len(make_split(load_movielens(out), "u4").test), len(load_movielens(ml_folder).ratings) / 5, atol=1
    )
