"""The DCN family: shapes, config checks, round trips, the cross matrix, the CLI, compare-rankers,
and hostile input (a bad preset, --folds 0, a DCN entry with damaged weights)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keras
import numpy as np
import pytest

from recexplore.cli.main import main
from recexplore.data.features import FeatureSpace
from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.models.dcn import DCN, DCNConfig, build_dcn
from recexplore.serving.interactions import cross_strength, pair_agreement, pairs_sentence, strongest_pairs
from recexplore.store import entry_format, manifest, registry
from recexplore.training.memory import estimate_training_bytes
from recexplore.training.trainer import train
from tests.test_cli_bad_input import run_inprocess

TINY = ["--epochs", "1", "--embedding-dim", "4", "--batch-size", "256"]


def _dcn(space: FeatureSpace, ratings, **settings) -> DCN:
    model = build_dcn(DCNConfig(**{"embedding_dim": 4, "deep_layers": (8,), **settings}), space.vocab.sizes())
    model.set_history(space.interaction_matrix(ratings))
    return model


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"cross_layers": -1}, "cross_layers"),
        ({"cross_layers": 9}, "cross_layers"),
        ({"cross_layers": 1.5}, "cross_layers"),
        ({"projection_dim": -4}, "projection_dim"),
        ({"deep_layers": (0,)}, "deep_layers"),
        ({"structure": "diagonal"}, "structure"),
        ({"dropout": 1.0}, "dropout"),
        ({"cross_l2": -0.1}, "cross_l2"),
    ],
)
def test_dcn_config_rejects_bad_values_naming_the_argument(kwargs: dict, argument: str) -> None:
    with pytest.raises(ValueError, match=argument):
        DCNConfig(**kwargs)


@pytest.mark.parametrize(
    "settings",
    [{}, {"projection_dim": 3}, {"cross_layers": 0}, {"structure": "parallel"}, {"deep_layers": ()}],
    ids=["full", "low-rank", "dnn", "parallel", "no-deep"],
)
def test_dcn_shapes_round_trip_and_save_load(space: FeatureSpace, ratings, tmp_path: Path, settings: dict) -> None:
    model = _dcn(space, ratings, **settings)
    x = space.dlrm_features(ratings)
    out = keras.ops.convert_to_numpy(model(x))
    assert out.shape == (len(ratings), 1) and np.all(np.isfinite(out))
    assert DCN.from_config(model.get_config()).get_config() == model.get_config()
    path = tmp_path / "dcn.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True, compile=False)
    assert type(loaded) is DCN
    loaded.set_history(space.interaction_matrix(ratings))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)), out, rtol=1e-5, atol=1e-6)


def test_low_rank_cross_has_fewer_parameters_and_its_matrix_is_u_times_v(space: FeatureSpace, ratings) -> None:
    full, low = _dcn(space, ratings), _dcn(space, ratings, projection_dim=3)
    width = len(full.features) * 4
    assert full.cross[0].dense.kernel.shape == (width, width)
    matrix = low.cross_matrix()
    u = keras.ops.convert_to_numpy(low.cross[0].down_proj_dense.kernel)
    v = keras.ops.convert_to_numpy(low.cross[0].dense.kernel)
    np.testing.assert_allclose(matrix, (u @ v).T, rtol=1e-6)
    assert np.linalg.matrix_rank(matrix, tol=1e-5 * np.abs(matrix).max()) <= 3  # float32 round-off aside
    assert low.count_params() < full.count_params()


def test_cross_strength_is_the_norm_of_each_feature_pair_block(space: FeatureSpace, ratings) -> None:
    model = _dcn(space, ratings)
    strength = cross_strength(model)
    n = len(model.features)
    assert strength.shape == (n, n) and np.all(strength > 0)
    w = model.cross_matrix()
    i, j = 2, 7  # by hand: rows of feature i's output, columns of feature j's input
    np.testing.assert_allclose(strength[i, j], np.linalg.norm(w[i * 4 : (i + 1) * 4, j * 4 : (j + 1) * 4]))
    names = [f"f{k}" for k in range(n)]
    top = strongest_pairs(names, strength, n=1)[0]
    assert top[2] == max(np.sqrt((strength[a, b] ** 2 + strength[b, a] ** 2) / 2) for a in range(n) for b in range(a))
    assert pairs_sentence(names, strength, "cross weights").startswith("Strongest pairs (cross weights): ")
    assert pair_agreement(strength, strength) == pytest.approx(1.0)
    assert pair_agreement(strength, strength.T) == pytest.approx(1.0)  # the pair strengths are symmetric
    with pytest.raises(ValueError, match="no cross layers"):
        cross_strength(_dcn(space, ratings, cross_layers=0))


def test_memory_estimate_grows_with_the_cross_network() -> None:
    sizes = {"user_id": 944, "movie_id": 1683, "genre": 19, "user_zip": 100, "user_gender": 3}
    full = estimate_training_bytes("dcn", DCNConfig(), sizes, 80_000)
    assert estimate_training_bytes("dcn", DCNConfig(projection_dim=8), sizes, 80_000) < full
    assert estimate_training_bytes("dcn", DCNConfig(cross_layers=0), sizes, 80_000) < full
    assert estimate_training_bytes("dcn", DCNConfig(embedding_dim=512, cross_layers=8), sizes, 80_000) > 2**30


@pytest.mark.parametrize("preset", ["dcn-cross", "dcn-lowrank", "dnn"])
def test_train_dcn_json_prints_the_dlrm_keys(preset: str, ml_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "dcn", "--preset", preset, "--data", str(ml_folder), *TINY, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    keys = {"test_rmse", "test_mae", "global_mean_rmse", "bias_only_rmse", "params", "train_seconds"}
    assert keys <= set(payload) and payload["kind"] == "dcn"
    assert 0 < payload["test_rmse"] < 2 and payload["params"] > 0
    assert payload["config"]["cross_layers"] == (0 if preset == "dnn" else 2)
    assert payload["config"]["projection_dim"] == (32 if preset == "dcn-lowrank" else 0)


def test_dcn_early_stopping_holds_out_a_validation_slice(ml_folder: Path) -> None:
    data = load_movielens(ml_folder)
    config = DCNConfig(embedding_dim=4, deep_layers=(8,), epochs=3, batch_size=256, early_stopping=True)
    result = train("dcn", data, make_split(data), config)
    assert "best_val_rmse" in result.metrics and all("val_rmse" in h for h in result.history)


@pytest.mark.parametrize(
    ("argv", "code", "needle"),
    [
        (["train", "dcn", "--preset", "dcn-wide"], 2, "--preset dcn-wide: no such preset for dcn"),
        (["train", "dcn", "--cross-layers", "-1"], 2, "argument --cross-layers: expected an integer from 0 to 8"),
        (["train", "dcn", "--structure", "diagonal"], 2, "argument --structure: invalid choice"),
        (["train", "dcn", "--deep-layers", "a"], 2, "argument --deep-layers:"),
        (["compare-rankers", "--folds", "0"], 2, "argument --folds: expected a positive integer, got '0'"),
        (["compare-rankers", "--folds", "two"], 2, "argument --folds: expected a positive integer"),
        (["compare-rankers", "--folds", "6"], 2, "folds must be a whole number from 1 to 5, got 6"),
        (["compare-rankers", "--folds", "3"], 1, "3 folds need the official folds u1, u2, u3"),
    ],
)
def test_hostile_dcn_and_compare_arguments_get_one_line(
    argv: list[str], code: int, needle: str, ml_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_inprocess([*argv, "--data", str(ml_folder)], capsys, code, needle)


def test_a_dcn_entry_with_damaged_weights_is_one_line_everywhere(
    ml_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = tmp_path / "models"
    argv = ["train", "dcn", "--data", str(ml_folder), *TINY, "--save", "crossed", "--models-dir", str(models)]
    assert main(argv) == 0
    capsys.readouterr()
    entry = models / "crossed"
    os.truncate(entry / entry_format.MODEL_FILE, 2000)  # damaged on disk: the manifest no longer matches
    listed = next(e for e in registry.list_entries(models) if e.name == "crossed")
    assert not listed.ok and "does not match the manifest" in listed.problem
    run_inprocess(["recommend", "--user", "1", "--model", "crossed", "--models-dir", str(models)], capsys, 1, "broken")
    contents = {n: (entry / n).read_bytes() for n in entry_format.ENTRY_FILES}
    (entry / manifest.MANIFEST_FILE).write_text(json.dumps(manifest.build(contents)))  # re-signed by us
    with pytest.raises(entry_format.RegistryError, match="could not be loaded") as err:
        registry.load("crossed", models)
    assert "\n" not in str(err.value)


def test_compare_rankers_over_folds_reports_mean_spread_and_verdicts(
    ml_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folds = tmp_path / "folds"
    assert main(["folds", "--data", str(ml_copy), "--out", str(folds)]) == 0
    capsys.readouterr()
    assert main(["compare-rankers", "--data", str(folds), "--folds", "2", *TINY, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert payload["splits"] == ["u1", "u2"]
    assert [r["model"] for r in payload["rows"]] == ["dlrm", "dcn-cross", "dcn-lowrank", "dnn"]
    for row in payload["rows"]:
        assert len(row["fold_test_rmse"]) == 2 and row["std_test_rmse"] >= 0 and row["params"] > 0
        assert row["mean_test_rmse"] == pytest.approx(np.mean(row["fold_test_rmse"]))
    assert len(payload["verdicts"]) == 6 and all(0 <= v["p_holm"] <= 1 for v in payload["verdicts"])
    assert payload["best"] in {r["model"] for r in payload["rows"]}
    # the rating baselines, and the bias-only and popularity orderings of the held-out lists
    lists = {
        f"{peer}_{m}" for peer in ("bias_only", "popularity") for m in ("list_ndcg_at_5", "list_ndcg_at_10", "list_mrr")
    }
    assert set(payload["baselines"]) == {"global_mean_rmse", "bias_only_rmse"} | lists
    assert "folds" in payload["summary"]
