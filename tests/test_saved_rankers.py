"""Lesson 2's list question on saved models (AppTest): the Compare rankers page sets the saved DLRM
and listwise ranker side by side on their split's held-out lists before anything is trained, scoring
a model saved without the list metrics on its split, and offers to prepare when there is no pair."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recexplore.app.ranker_report import saved_group, split_label
from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.evaluation.ranker_comparison import LIST_KEYS
from recexplore.families import family
from recexplore.store import registry
from recexplore.training.trainer import train
from tests.conftest import TINY_DLRM

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "compare_rankers.py")
TINY_LISTWISE = {"epochs": 1, "batch_size": 256, "embedding_dim": 4, "top_layers": (8,), "loss": "list_mle"}


@pytest.fixture(scope="module")
def saved(ml_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry with a tiny DLRM (its list metrics removed from the save, as an entry saved before
    they existed) and a tiny listwise ranker, both on the default split."""
    folder = tmp_path_factory.mktemp("registry")
    data = load_movielens(ml_folder)
    split = make_split(data)
    dlrm = train("dlrm", data, split, TINY_DLRM)
    listwise = train("listwise", data, split, family("listwise").make_config(**TINY_LISTWISE))
    dlrm.metrics = {k: v for k, v in dlrm.metrics.items() if "list_" not in k}
    registry.save(dlrm, "dlrm-default", folder)
    registry.save(listwise, "listwise-default", folder)
    return folder


def test_the_saved_pair_side_by_side_on_held_out_lists(
    saved: Path, ml_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(saved))
    meta = json.loads((saved / "dlrm-default" / "meta.json").read_text())
    assert not set(LIST_KEYS) & set(meta["metrics"])  # the page must score it itself
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["model"].tolist()[:2] == ["dlrm-default", "listwise-default"]
    assert table["loss"].tolist()[:2] == ["mse", "list_mle"]
    assert "popularity (baseline)" in table["model"].tolist()
    ndcg = table["list NDCG@10"][:2].astype(float)
    assert ndcg.between(0.0, 1.0).all()
    assert any("orders the held-out lists best" in m.value for m in at.markdown)
    assert any(split_label(meta) in c.value for c in at.caption)


def test_no_listwise_beside_a_pointwise_ranker_offers_to_prepare(
    ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(tmp_path))
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert any("No saved listwise ranker" in i.value for i in at.info)
    assert any("Prepare" in m.value and "in one click" in m.value for m in at.markdown)
    assert not any("orders the held-out lists best" in m.value for m in at.markdown)


def test_the_group_is_one_split_with_both_kinds_of_loss() -> None:
    mse = {"config": {}, "split": {"name": "random", "seed": 42}, "seed": 42}
    lists = {"config": {"loss": "pairwise_hinge"}, "split": {"name": "random", "seed": 42}, "seed": 42}
    other = {"config": {"loss": "list_mle"}, "split": {"name": "u1"}, "seed": 42}
    entries = [("a", "dlrm", mse), ("b", "listwise", other), ("c", "listwise", lists)]
    assert saved_group(entries, ["a"]) == [0, 2]
    assert saved_group(entries, ["b"]) == []  # u1 holds a list loss only: nothing to read it against
    assert saved_group(entries[:1], []) == []
