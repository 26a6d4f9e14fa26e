"""The family table: every family declares itself in one module, and a new family (a toy one,
registered by one row) appears in the CLI, the Train page and the Runs page with no other change."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recexplore import families
from recexplore.cli.main import main
from recexplore.cli.parser import build_parser
from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.families import FAMILY_MODULES, family, pretrained_entries
from recexplore.store import registry
from recexplore.training.trainer import train

PAGES = Path(__file__).resolve().parent.parent / "pages"
APP = PAGES.parent / "streamlit_app.py"
TOY_ROW = ("toy", "tests.toy_family")


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> str:
    """The toy family's one row in the table."""
    monkeypatch.setitem(FAMILY_MODULES, *TOY_ROW)
    return TOY_ROW[0]


def _train_choices(parser: object) -> list[str]:
    train = parser._subparsers._group_actions[0].choices["train"]  # type: ignore[attr-defined]
    return list(train._subparsers._group_actions[0].choices)


@pytest.mark.parametrize("name", list(FAMILY_MODULES))
def test_every_row_declares_its_family(name: str) -> None:
    fam = family(name)
    assert fam.name == name and fam.description and fam.title
    # a family may bring its own training loop (listwise); otherwise its task is the table's
    assert dataclasses.replace(fam.task, trainer=families.TASKS[fam.task.name].trainer) == families.TASKS[fam.task.name]
    config = fam.make_config()
    assert isinstance(config, fam.config)
    for preset in fam.presets:
        assert isinstance(fam.make_config(preset), fam.config)
    for option in fam.options:
        fam.config.rule(option)  # every offered flag is a setting with a rule
    assert fam.offers(families.CURVES) and fam.offers(families.ARCHITECTURE)


def test_the_table_is_the_only_list() -> None:
    assert families.family_names() == tuple(FAMILY_MODULES)
    entries = pretrained_entries()
    assert {"dlrm-default", "dcn-default", "towers-1-layer"} <= set(entries)
    assert entries["dcn-default"] == ("dcn", "dcn-cross")
    assert _train_choices(build_parser()) == list(FAMILY_MODULES)


def test_unknown_family_and_preset_are_one_line_value_errors() -> None:
    with pytest.raises(ValueError, match=f"model family must be one of {', '.join(FAMILY_MODULES)}, got 'svd'"):
        family("svd")
    with pytest.raises(ValueError, match="preset must be one of dcn-cross, dcn-lowrank, dnn, got 'dcn-wide'"):
        family("dcn").make_config("dcn-wide")


def test_a_toy_family_is_one_module_and_one_row(
    toy: str, ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Registered by one row: the CLI offers `train toy` and trains it, the Train page offers it,
    and a saved toy model is on the Runs page and the Home page's rating table."""
    assert toy in _train_choices(build_parser())
    models = tmp_path / "models"
    argv = ["train", toy, "--data", str(ml_folder), "--json", "--save", "toy-run", "--models-dir", str(models)]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert payload["kind"] == toy and set(families.RATING.result_keys) <= set(payload)
    assert registry.load("toy-run", models).kind == toy

    data = load_movielens(ml_folder)
    registry.save(train(toy, data, make_split(data)), "toy-second", models)
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(models))

    page = AppTest.from_file(str(PAGES / "train.py"), default_timeout=120).run()
    assert "Toy (one linear unit)" in page.radio(key="train_kind").options
    page.radio(key="train_kind").set_value("Toy (one linear unit)").run()
    assert not page.exception and page.slider(key="train_dropout_toy").value == family(toy).make_config().dropout

    runs = AppTest.from_file(str(APP), default_timeout=120).run()
    runs.switch_page("pages/runs.py").run()
    assert not runs.exception
    assert {"toy-run", "toy-second"} <= set(runs.multiselect(key="runs_pick").options)

    home = AppTest.from_file(str(PAGES / "home.py"), default_timeout=120).run()
    rating_table = next(d for d in home.dataframe if "name" in d.value and "toy-run" in d.value["name"].tolist())
    assert "Toy (one linear unit)" in rating_table.value["family"].tolist()
