"""Bad-input matrix for the CLI.

Every bad input must give exactly one stderr line starting with ``recexplore: error:``
that names the problem, a non-zero exit (2 for usage errors, 1 for data and registry
errors), no traceback, no stdout, and must leave the model registry untouched.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import psutil
import pytest

import recexplore.models.towers  # noqa: F401  (import Keras up front so timings measure the CLI only)
from recexplore.cli.main import main
from recexplore.data.features import Vocabularies
from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.models.towers import TowerConfig
from recexplore.store import entry_format, reading
from recexplore.training import pipeline
from recexplore.training.memory import estimate_training_bytes
from tests.synthetic import write_movielens

ROOT = Path(__file__).resolve().parent.parent
# The smallest training settings the CLI accepts that still train on the synthetic data.
TINY = ["--epochs", "1", "--batch-size", "256", "--embedding-dim", "4"]
SAVED = "ok-name_1"  # a valid name: the module's towers entry is saved under it
BAD_NAMES = ["..", "../x", "a/b", "/abs/path", "", "x" * 65, "bad name"]


# ---------------------------------------------------------------- helpers


def assert_one_line_error(code: int, expected: int, out: str, err: str, *needles: str) -> str:
    """Check the error contract and return the message line."""
    assert code == expected, f"exit {code}, stderr: {err!r}"
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, f"not exactly one stderr line: {err!r}"
    line = err.rstrip("\n")
    assert line.startswith("recexplore: error: ") and len(line) > len("recexplore: error: ")
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    assert out == "", f"unexpected stdout: {out!r}"
    return line


def run_inprocess(argv: list[str], capsys: pytest.CaptureFixture[str], expected: int, *needles: str) -> str:
    """Run main(argv) and check the error contract."""
    code = main(argv)
    captured = capsys.readouterr()
    return assert_one_line_error(code, expected, captured.out, captured.err, *needles)


def run_subprocess(argv: list[str], expected: int, *needles: str, env: dict[str, str] | None = None) -> str:
    """Run `python -m recexplore argv` in a real process and check the error contract."""
    proc = subprocess.run(
        [sys.executable, "-m", "recexplore", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    return assert_one_line_error(proc.returncode, expected, proc.stdout, proc.stderr, *needles)


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file below `folder`, by relative path (hidden leftovers included)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def saved_models(ml_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry holding a tiny towers entry (under a valid name) and a tiny DLRM entry."""
    models = tmp_path_factory.mktemp("saved-models")
    base = ["--data", str(ml_folder), *TINY, "--models-dir", str(models)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RECEXPLORE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        assert main(["train", "towers", *base, "--layers", "4", "--json", "--save", SAVED]) == 0
        assert main(["train", "dlrm", *base, "--json", "--save", "rating"]) == 0
    return models


@pytest.fixture
def models_copy(saved_models: Path, tmp_path: Path) -> Path:
    """A writable copy of the saved registry."""
    return Path(shutil.copytree(saved_models, tmp_path / "models"))


@pytest.fixture(scope="module")
def big_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic folder with 100,000 ratings (every user x movie pair), as many as MovieLens 100K."""
    folder = write_movielens(tmp_path_factory.mktemp("big") / "ml-100k", n_users=1000, n_movies=100, n_ratings=50)
    rng = np.random.default_rng(1)
    users, movies = np.meshgrid(np.arange(1, 1001), np.arange(1, 101), indexing="ij")
    stars = rng.integers(1, 6, users.size)
    stamps = 874724710 + rng.integers(0, 10**7, users.size)
    rows = np.column_stack([users.ravel(), movies.ravel(), stars, stamps])
    np.savetxt(folder / "u.data", rows, fmt="%d", delimiter="\t")
    return folder


# ---------------------------------------------------------------- hyperparameters


HYPERPARAMETER_CASES: list[tuple[str, str, str, str]] = [  # kind, option, value, expected text
    ("dlrm", "--epochs", "0", "positive integer, got '0'"),
    ("dlrm", "--epochs", "-1", "positive integer, got '-1'"),
    ("towers", "--epochs", "abc", "positive integer, got 'abc'"),
    ("dlrm", "--batch-size", "0", "positive integer, got '0'"),
    ("towers", "--batch-size", "-5", "positive integer, got '-5'"),
    ("dlrm", "--learning-rate", "0", "positive number, got '0'"),
    ("towers", "--learning-rate", "-0.1", "positive number, got '-0.1'"),
    ("dlrm", "--learning-rate", "nan", "positive number, got 'nan'"),
    ("towers", "--learning-rate", "inf", "positive number, got 'inf'"),
    ("towers", "--layers", "", "at least one layer width"),
    ("towers", "--layers", "a,b", "whole numbers such as 64,32, got 'a,b'"),
    ("towers", "--layers", "0", "each width must be from 1 to 4096, got 0"),
    ("towers", "--layers", "-3", "whole numbers such as 64,32, got '-3'"),
    ("towers", "--layers", "64,,32", "whole numbers such as 64,32, got '64,,32'"),
    ("dlrm", "--embedding-dim", "0", "positive integer, got '0'"),
    ("dlrm", "--seed", "-1", "from 0 to 4294967295, got '-1'"),
    ("towers", "--seed", "abc", "from 0 to 4294967295, got 'abc'"),
]


@pytest.mark.parametrize(
    ("kind", "option", "value", "needle"),
    HYPERPARAMETER_CASES,
    ids=[f"{kind}{option}={value!r}" for kind, option, value, _ in HYPERPARAMETER_CASES],
)
def test_bad_hyperparameter_is_usage_error(
    kind: str, option: str, value: str, needle: str, ml_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bad value is refused at parse time, naming its option and what is wrong with the value."""
    argv = ["train", kind, "--data", str(ml_folder), *TINY, option, value]
    run_inprocess(argv, capsys, 2, f"argument {option}:", needle)


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (["train", "dlrm", "--epochs", "100000"], ("epochs must be an integer from 1 to 1000",)),
        (["train", "towers", "--batch-size", "99999999"], ("batch_size must be an integer from 1 to 65536",)),
        (["train", "dlrm", "--learning-rate", "11"], ("learning_rate must be a number in (0, 10]",)),
        (["train", "towers", "--layers", "4097"], ("--layers", "from 1 to 4096")),
        (["train", "towers", "--layers", "1,2,3,4,5,6,7,8,9"], ("--layers", "at most 8 layers")),
    ],
)
def test_out_of_range_hyperparameter_is_usage_error(
    argv: list[str], needles: tuple[str, ...], ml_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Values past the config's upper bounds are refused before any data is read."""
    run_inprocess([*argv, "--data", str(ml_folder)], capsys, 2, *needles)


@pytest.mark.parametrize("kind", ["dlrm", "towers"])
def test_absurd_embedding_dim_refused_before_allocation(
    kind: str, ml_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 10**9-wide embedding (terabytes of tables) is refused at once, naming the size limit:
    before the data is even read, so nothing can be allocated."""
    from recexplore.data import loading

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the data was read despite an invalid config")

    monkeypatch.setattr(loading, "load_movielens", never)
    run_inprocess(
        ["train", kind, "--data", str(ml_folder), "--embedding-dim", str(10**9)],
        capsys,
        2,
        "embedding_dim must be an integer from 1 to 1024",
        str(10**9),
    )


@pytest.mark.parametrize("argv", [["train", "towers"], ["train", "dlrm"], ["compare-towers"]])
def test_config_too_big_for_memory_refused_before_training(
    argv: list[str], ml_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With less memory available than the estimate, training is refused and never started (the
    data is parsed first, so that its own memory check, which runs when it is parsed, passes)."""
    load_movielens(ml_folder)
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(available=1024))

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started despite the memory check")

    monkeypatch.setattr(pipeline, "train", never)  # where the pipeline looks the trainer up
    run_inprocess(
        [*argv, "--data", str(ml_folder), *TINY], capsys, 2, "not enough memory", "KiB is available", "--batch-size"
    )


def test_huge_in_batch_softmax_refused_in_a_real_process(big_folder: Path) -> None:
    """batch 65536 on 80k training rows needs batch**2 softmax logits (tens of GiB): refused before
    training starts (stdout stays empty: no epoch line; run_subprocess bounds the process at 120 s)."""
    data = load_movielens(big_folder)
    config = TowerConfig(layers=(4,), embedding_dim=4, batch_size=65536, epochs=1)
    needed = estimate_training_bytes("towers", config, Vocabularies.build(data).sizes(), len(make_split(data).train))
    if needed <= psutil.virtual_memory().available:
        pytest.skip("this machine could actually train it")
    run_subprocess(
        [
            "train",
            "towers",
            "--data",
            str(big_folder),
            "--epochs",
            "1",
            "--embedding-dim",
            "4",
            "--layers",
            "4",
            "--batch-size",
            "65536",
        ],
        2,
        "not enough memory",
        "--batch-size",
    )


def test_memory_estimate_grows_with_the_batch_squared(ml_folder: Path) -> None:
    """The estimate is dominated by batch**2 logits for the softmax towers, not for rating regression."""
    data = load_movielens(ml_folder)
    sizes, rows = Vocabularies.build(data).sizes(), 10**6

    def towers(batch: int, objective: str = "softmax") -> int:
        config = TowerConfig(layers=(4,), embedding_dim=4, batch_size=batch, objective=objective)
        return estimate_training_bytes("towers", config, sizes, rows)

    assert towers(65536) > 4 * 65536**2 * 3
    assert towers(65536) > 3 * towers(32768)
    assert towers(65536, "rating_mse") < 2**30
    # the batch never exceeds the training rows
    assert estimate_training_bytes("towers", TowerConfig(batch_size=65536), sizes, 100) < 2**30


# ---------------------------------------------------------------- data


def _missing_folder(folder: Path) -> Path:
    return folder.parent / "nowhere"


def _drop_item(folder: Path) -> Path:
    (folder / "u.item").unlink()
    return folder


def _set_line(file: str, number: int, text: str) -> Callable[[Path], Path]:
    def corrupt(folder: Path) -> Path:
        lines = (folder / file).read_text(encoding="latin-1").splitlines()
        lines[number - 1] = text
        (folder / file).write_text("\n".join(lines) + "\n", encoding="latin-1")
        return folder

    return corrupt


def _binary_item(folder: Path) -> Path:
    (folder / "u.item").write_bytes(bytes(range(256)) * 8)
    return folder


def _utf16_user(folder: Path) -> Path:
    text = (folder / "u.user").read_text(encoding="latin-1")
    (folder / "u.user").write_bytes(text.encode("utf-16"))
    return folder


def _empty_data(folder: Path) -> Path:
    (folder / "u.data").write_text("\n\n")
    return folder


def _not_a_zip(folder: Path) -> Path:
    return folder / "u.data"


STAMP = "874724710"  # a valid u.data timestamp


@pytest.mark.parametrize(
    ("corrupt", "needles"),
    [
        pytest.param(_missing_folder, ("nowhere", "does not exist"), id="missing-folder"),
        pytest.param(_drop_item, ("missing u.item",), id="no-u.item"),
        pytest.param(_set_line("u.data", 7, "1\t2\t3"), ("u.data: line 7:", "expected 4 fields"), id="short-line"),
        pytest.param(
            _set_line("u.data", 12, f"1\tx\t3\t{STAMP}"), ("u.data: line 12:", "movie_id 'x' is not"), id="non-integer"
        ),
        pytest.param(
            _set_line("u.data", 5, f"1\t2\t6\t{STAMP}"), ("u.data: line 5:", "rating 6 is outside 1-5"), id="rating-6"
        ),
        pytest.param(
            _set_line("u.data", 9, f"1\t2\t0\t{STAMP}"), ("u.data: line 9:", "rating 0 is outside 1-5"), id="rating-0"
        ),
        pytest.param(
            _set_line("u.data", 3, f"1\t9999\t4\t{STAMP}"), ("u.data: line 3:", "movie_id 9999"), id="unknown-movie"
        ),
        pytest.param(_set_line("u.item", 2, "2|Broken (1990)"), ("u.item: line 2:",), id="u.item-line"),
        pytest.param(_binary_item, ("u.item", "not a MovieLens text file"), id="binary"),
        pytest.param(_utf16_user, ("u.user", "UTF-16"), id="utf-16"),
        pytest.param(_empty_data, ("u.data", "empty"), id="empty"),
        pytest.param(_not_a_zip, ("u.data", "not a zip file"), id="not-a-zip"),
    ],
)
def test_bad_data_is_one_line_exit_1(
    corrupt: Callable[[Path], Path], needles: tuple[str, ...], ml_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Missing, malformed or binary data files are reported by file and line with exit 1."""
    run_inprocess(["data", "--data", str(corrupt(ml_copy))], capsys, 1, *needles)


@pytest.mark.parametrize(
    ("split", "needles"),
    [("bogus", ("Unknown split 'bogus'",)), ("u2", ("Split 'u2'", "u2.base")), ("", ("Unknown split ''",))],
)
def test_bad_split_is_one_line_exit_1(
    split: str, needles: tuple[str, ...], ml_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unknown split names and folds without files are data errors."""
    run_inprocess(["data", "--data", str(ml_folder), "--split", split], capsys, 1, *needles)


def test_bad_data_through_the_environment_in_a_real_process(ml_copy: Path) -> None:
    """RECEXPLORE_DATA_DIR pointing at a malformed folder: one line naming file and line, exit 1."""
    _set_line("u.data", 7, "1\t2\t3")(ml_copy)
    run_subprocess(["data"], 1, "u.data: line 7:", env={"RECEXPLORE_DATA_DIR": str(ml_copy)})


def test_unknown_split_in_a_real_process(ml_folder: Path) -> None:
    """An unknown split from the command line, in a real process."""
    run_subprocess(["data", "--split", "u9"], 1, "Unknown split 'u9'", env={"RECEXPLORE_DATA_DIR": str(ml_folder)})


def test_training_on_bad_data_is_one_line_exit_1(ml_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Training commands report data errors the same way."""
    _set_line("u.data", 4, f"1\t2\t7\t{STAMP}")(ml_copy)
    run_inprocess(["train", "towers", "--data", str(ml_copy), *TINY], capsys, 1, "u.data: line 4:", "outside 1-5")


# ---------------------------------------------------------------- recommend


@pytest.mark.parametrize(
    ("args", "code", "needles"),
    [
        (["--user", "99999"], 2, ("Unknown user 99999", "user ids run from 1 to 60")),
        (["--user", "abc"], 2, ("User id must be an integer", "'abc'")),
        (["--user", ""], 2, ("User id must be an integer",)),
        (["--user", "1", "--k", "0"], 2, ("argument --k:", "'0'")),
        (["--user", "1", "--k", "-1"], 2, ("argument --k:", "'-1'")),
        (["--user", "1", "--k", "ten"], 2, ("argument --k:", "'ten'")),
        (["--user", "1", "--k", "81"], 2, ("k must be an integer from 1 to 80", "81")),
        (["--user", "1", "--k", str(10**6)], 2, ("k must be an integer from 1 to 80",)),
        (["--user", "1", "--model", "nosuch"], 1, ("No model named 'nosuch'",)),
        (["--user", "1", "--model", "rating"], 2, ("'rating' is a dlrm model", "retrieval model")),
        (["--rate", "999=4"], 2, ("unknown movie '999'", "movie id or a piece of its title")),
        (["--rate", "No Such Film=4"], 2, ("unknown movie 'No Such Film'",)),
        (["--rate", "1=6"], 2, ("argument --rate:", "stars must be from 1 to 5", "'6'")),
        (["--rate", "1=0"], 2, ("argument --rate:", "stars must be from 1 to 5", "'0'")),
        (["--rate", "1=nan"], 2, ("argument --rate:", "stars must be from 1 to 5")),
        (["--rate", "1=good"], 2, ("argument --rate:", "stars must be a number from 1 to 5", "'good'")),
        (["--rate", ""], 2, ("argument --rate:", "give at least one rating as MOVIE=STARS")),
        (["--rate", " , "], 2, ("argument --rate:", "give at least one rating as MOVIE=STARS")),
        (["--rate", "5"], 2, ("argument --rate:", "'5' is not MOVIE=STARS")),
        (["--rate", "=3"], 2, ("argument --rate:", "'=3' is not MOVIE=STARS")),
        (["--rate", "1=5", "--user", "1"], 2, ("not allowed with argument",)),
        (["--rate", "1=5,2=1", "--k", "0"], 2, ("argument --k:",)),
    ],
)
def test_bad_recommend_request(
    args: list[str],
    code: int,
    needles: tuple[str, ...],
    saved_models: Path,
    ml_folder: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Unknown users, bad k (k above the 80-movie catalogue is refused, not clamped) and unknown models."""
    before = snapshot(saved_models)
    argv = ["recommend", "--model", SAVED, "--models-dir", str(saved_models), "--data", str(ml_folder), *args]
    run_inprocess(argv, capsys, code, *needles)
    assert snapshot(saved_models) == before


def test_k_equal_to_the_catalogue_is_accepted(
    saved_models: Path, ml_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The largest k the refusal names is itself valid (unrated movies only, so possibly fewer rows)."""
    argv = [
        "recommend",
        "--user",
        "1",
        "--k",
        "80",
        "--model",
        SAVED,
        "--models-dir",
        str(saved_models),
        "--data",
        str(ml_folder),
    ]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and 0 < len(captured.out.splitlines()) <= 80


def test_recommend_from_a_broken_entry_is_exit_1(
    models_copy: Path, ml_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A truncated model file is a registry error, reported on one line; the files are left as they were."""
    model_file = models_copy / SAVED / "model.keras"
    model_file.write_bytes(model_file.read_bytes()[:100])
    before = snapshot(models_copy)
    argv = ["recommend", "--user", "1", "--model", SAVED, "--models-dir", str(models_copy), "--data", str(ml_folder)]
    run_inprocess(argv, capsys, 1, f"Model {SAVED!r} is broken", "does not match the manifest")
    assert snapshot(models_copy) == before


def test_recommend_with_missing_data_is_exit_1(
    saved_models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A saved model but no data: one line, exit 1."""
    argv = [
        "recommend",
        "--user",
        "1",
        "--model",
        SAVED,
        "--models-dir",
        str(saved_models),
        "--data",
        str(tmp_path / "nowhere"),
    ]
    run_inprocess(argv, capsys, 1, "does not exist")


def test_non_integer_user_in_a_real_process(saved_models: Path, ml_folder: Path) -> None:
    """Loading a real model and refusing the user id leaves no traceback on stderr."""
    run_subprocess(
        ["recommend", "--user", "abc", "--model", SAVED, "--models-dir", str(saved_models)],
        2,
        "User id must be an integer",
        env={"RECEXPLORE_DATA_DIR": str(ml_folder)},
    )


# ---------------------------------------------------------------- model names and the registry


@pytest.mark.parametrize("name", BAD_NAMES, ids=["dotdot", "parent", "slash", "absolute", "empty", "too-long", "space"])
@pytest.mark.parametrize(
    "command",
    [
        ["train", "towers", "--save"],
        ["train", "dlrm", "--save"],
        ["recommend", "--user", "1", "--model"],
        ["models", "delete"],
    ],
    ids=["save-towers", "save-dlrm", "recommend", "delete"],
)
def test_bad_model_name_is_refused(
    command: list[str], name: str, models_copy: Path, ml_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Path-like, empty, over-long or spaced names are refused and nothing in the registry changes."""
    before = snapshot(models_copy.parent)  # the registry and everything beside it
    argv = [*command, name, "--models-dir", str(models_copy)]
    if command[0] != "models":
        argv += ["--data", str(ml_folder)]
    if command[0] == "train":
        argv += TINY
    run_inprocess(argv, capsys, 2, "Invalid model name", repr(name))
    assert snapshot(models_copy.parent) == before


def test_valid_name_was_accepted(saved_models: Path) -> None:
    """'ok-name_1' (letters, digits, '-' and '_') saved a loadable entry."""
    entry = reading.inspect(saved_models / SAVED)
    assert entry.ok and entry.kind == "towers" and entry.meta["name"] == SAVED


@pytest.mark.parametrize("kind", ["towers", "dlrm"])
def test_saving_over_an_existing_name_is_refused(
    kind: str, models_copy: Path, ml_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --overwrite the existing entry's files stay byte-identical."""
    before = snapshot(models_copy)
    argv = ["train", kind, "--data", str(ml_folder), *TINY, "--save", SAVED, "--models-dir", str(models_copy)]
    run_inprocess(argv, capsys, 2, repr(SAVED), "--overwrite")
    assert snapshot(models_copy) == before


def test_saving_over_an_existing_name_is_refused_in_a_real_process(models_copy: Path, ml_folder: Path) -> None:
    """The same refusal through `python -m recexplore`."""
    before = snapshot(models_copy)
    run_subprocess(
        ["train", "towers", *TINY, "--save", SAVED, "--models-dir", str(models_copy)],
        2,
        "--overwrite",
        env={"RECEXPLORE_DATA_DIR": str(ml_folder)},
    )
    assert snapshot(models_copy) == before


def test_failed_overwrite_keeps_the_old_entry(
    models_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--overwrite with training that cannot start (no data) loses nothing."""
    before = snapshot(models_copy)
    argv = [
        "train",
        "towers",
        "--data",
        str(tmp_path / "nowhere"),
        *TINY,
        "--save",
        SAVED,
        "--overwrite",
        "--models-dir",
        str(models_copy),
    ]
    run_inprocess(argv, capsys, 1, "does not exist")
    assert snapshot(models_copy) == before


def test_delete_unknown_name_is_exit_1(models_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Deleting a name that is not there is a registry error; the other entries stay."""
    before = snapshot(models_copy)
    run_inprocess(
        ["models", "delete", "nosuch", "--models-dir", str(models_copy)], capsys, 1, "No model named 'nosuch'"
    )
    assert snapshot(models_copy) == before


def test_bad_name_in_a_real_process(models_copy: Path) -> None:
    """A path-escaping delete through `python -m recexplore`: refused, nothing removed."""
    before = snapshot(models_copy)
    run_subprocess(["models", "delete", "../models", "--models-dir", str(models_copy)], 2, "Invalid model name")
    assert snapshot(models_copy) == before and models_copy.is_dir()


def test_overwrite_replaces_the_entry(models_copy: Path, ml_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With --overwrite the entry is replaced atomically: new config, still loadable, no temporary folders left."""
    argv = [
        "train",
        "towers",
        "--data",
        str(ml_folder),
        *TINY,
        "--layers",
        "6",
        "--save",
        SAVED,
        "--overwrite",
        "--models-dir",
        str(models_copy),
        "--json",
    ]
    assert main(argv) == 0
    assert capsys.readouterr().err == ""
    entry = reading.inspect(models_copy / SAVED)
    assert entry.ok and entry.meta["config"]["layers"] == [6]
    assert sorted(p.name for p in models_copy.iterdir()) == sorted([SAVED, "rating", entry_format.MARKER_FILE])
