"""The architecture table: measured output shapes, parameter counts, the keras-rs layers' places."""

from __future__ import annotations

from pathlib import Path

import pytest

from recexplore.data.features import Vocabularies
from recexplore.data.loading import load_movielens
from recexplore.models.dlrm import DLRMConfig
from recexplore.models.towers import TowerConfig, build_towers
from recexplore.serving.architecture import architecture, architecture_of_config
from recexplore.training.trainer import count_params


@pytest.fixture(scope="module")
def sizes(ml_folder: Path) -> dict[str, int]:
    return Vocabularies.build(load_movielens(ml_folder)).sizes()


def _by_name(rows: list[dict]) -> dict[str, dict]:
    return {r["layer"].rsplit("/", 1)[-1]: r for r in rows}


def test_dlrm_table(sizes: dict[str, int]) -> None:
    rows = architecture_of_config("dlrm", DLRMConfig(embedding_dim=8, bottom_layers=(16,), top_layers=(12,)), sizes)
    named = _by_name(rows)
    assert named["user_id_embedding"]["output shape"] == "(batch, 8)"
    assert named["user_id_embedding"]["parameters"] == sizes["user_id"] * 8
    # DotInteraction over 9 sparse features + the bottom MLP's output: 10 * 9 / 2 pairs.
    assert (
        named["dot_interaction"]["type"] == "DotInteraction"
        and named["dot_interaction"]["output shape"] == "(batch, 45)"
    )
    assert (
        named["top_mlp_dense_0"]["output shape"] == "(batch, 12)" and named["top_mlp"]["output shape"] == "(batch, 1)"
    )
    assert named["user_history_embedding"]["output shape"].startswith(f"table {sizes['movie_id']} x 8")
    assert named["movie_audience_embedding"]["output shape"].startswith(f"table {sizes['user_id']} x 8")
    # Top-level rows add up to the model's trainable parameters.
    from recexplore.models.dlrm import build_dlrm

    model = build_dlrm(DLRMConfig(embedding_dim=8, bottom_layers=(16,), top_layers=(12,)), sizes, 3, 3.5)
    assert sum(r["parameters"] for r in architecture(model) if r["depth"] == 0) == count_params(model)


def test_towers_table_and_retrieval_stage(sizes: dict[str, int]) -> None:
    model = build_towers(TowerConfig(layers=(16, 4), embedding_dim=6), sizes)
    rows = architecture(model)
    named = _by_name(rows)
    assert (
        named["query_tower"]["output shape"] == "(batch, 4)"
        and named["candidate_tower"]["output shape"] == "(batch, 4)"
    )
    assert named["query_mlp_dense_0"]["output shape"] == "(batch, 16)"
    assert named["title_embedding"]["output shape"].startswith("(batch, ") and named["title_embedding"]["depth"] == 1
    assert named["remove_accidental_hits"]["output shape"] == "in the training loss only"
    assert rows[-1]["type"] == "BruteForceRetrieval" and f"{sizes['movie_id'] - 1} x 4" in rows[-1]["output shape"]
    assert sum(r["parameters"] for r in rows if r["depth"] == 0) == count_params(model)
    # Tracing leaves the model as it was: its layers call their own class method again.
    assert all("call" not in vars(layer) for layer in model._flatten_layers(include_self=False))
