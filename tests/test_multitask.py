"""The multi-task family: its loss at the weight extremes is each single task's, a saved model
reloads with the same outputs, and bad weights get one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from keras import ops

from recexplore.cli.main import main
from recexplore.config.trade_off import TRADE_OFF_WEIGHTS, parse_weights
from recexplore.data.features import FeatureSpace, Vocabularies
from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.evaluation.multitask import DLRM_POINT, TOWERS_POINT, stars_predicted, trade_off
from recexplore.evaluation.scoring import evaluate_loaded, tower_scores
from recexplore.families import MULTITASK, RATING, RETRIEVAL, family
from recexplore.models.multitask import MultiTaskConfig, build_multitask
from recexplore.models.towers import TowerConfig, build_towers
from recexplore.serving.architecture import architecture_of_config
from recexplore.store import registry
from recexplore.training.trainer import count_params, train
from tests.test_cli_bad_input import run_inprocess

TINY = {"epochs": 1, "batch_size": 256, "embedding_dim": 8, "distill_weight": 0.0}


@pytest.fixture(scope="module")
def batch(ml_folder: Path) -> tuple[FeatureSpace, dict[str, np.ndarray], np.ndarray]:
    """One training batch of the synthetic data: the towers' inputs and the stars."""
    data = load_movielens(ml_folder)
    space = FeatureSpace(Vocabularies.build(data), data)
    rows = data.ratings.iloc[:64]
    probability = np.full(space.n_movies, 1.0 / space.n_movies, dtype=np.float32)
    x = space.tower_maker(rows, probability)(np.arange(len(rows)))
    return space, x, rows["user_rating"].to_numpy(np.float32)


def _losses(space: FeatureSpace, x: dict[str, np.ndarray], y: np.ndarray, weight: float) -> tuple[float, ...]:
    """(the multi-task loss at `weight`, the towers' loss with the same tower weights, the stars' MSE)."""
    model = build_multitask(MultiTaskConfig(**TINY, retrieval_weight=weight), space.vocab.sizes(), 3.5)
    towers = build_towers(TowerConfig(**TINY), space.vocab.sizes())
    towers.query_tower.set_weights(model.query_tower.get_weights())
    towers.candidate_tower.set_weights(model.candidate_tower.get_weights())
    query, candidate, stars = model(x)
    loss = float(model.compute_loss(x, y, (query, candidate, stars)))
    retrieval = float(towers.compute_loss(x, y, towers(x)))
    rating = float(ops.mean(ops.square(stars - y)))
    return loss, retrieval, rating


def test_the_weight_extremes_are_the_single_task_objectives(batch: tuple) -> None:
    """Weight 1 is the two towers' in-batch softmax loss, 0 the stars' mean squared error, and a
    weight between them mixes the two in proportion."""
    space, x, y = batch
    loss, retrieval, rating = _losses(space, x, y, 1.0)
    assert loss == pytest.approx(retrieval, rel=1e-6) and retrieval > 1.0  # log(64) scale, not an MSE
    loss, retrieval, rating = _losses(space, x, y, 0.0)
    assert loss == pytest.approx(rating, rel=1e-6) and abs(loss - retrieval) > 0.1
    loss, retrieval, rating = _losses(space, x, y, 0.25)
    assert loss == pytest.approx(0.25 * retrieval + 0.75 * rating, rel=1e-5)


def test_its_task_reports_both_tasks_and_their_peers() -> None:
    """The task's result keys hold every key of both single tasks; its peers are EASE's."""
    assert set(RETRIEVAL.result_keys) | set(RATING.result_keys) <= set(MULTITASK.result_keys)
    assert family("multitask").task is MULTITASK and MULTITASK.peers == RETRIEVAL.peers


def test_train_json_prints_both_tasks_metrics_and_a_save_reloads_the_same(
    ml_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`train multitask --json`: hit rates, NDCG@10, RMSE, MAE beside popularity, EASE and the rating
    baselines; the saved entry reloads to the same scores, stars and metrics."""
    models = tmp_path / "models"
    argv = ["train", "multitask", "--data", str(ml_folder), "--retrieval-weight", "0.5", "--json"]
    argv += ["--epochs", "1", "--batch-size", "256", "--save", "mt", "--models-dir", str(models)]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    keys = {"hit_rate_at_10", "hit_rate_at_100", "ndcg_at_10", "mrr_at_10", "test_rmse", "test_mae"}
    peers = {"popularity_hit_rate_at_10", "ease_hit_rate_at_10", "bias_only_rmse", "global_mean_rmse"}
    assert keys | peers <= set(payload) and payload["config"]["retrieval_weight"] == 0.5
    assert 0.0 < payload["test_rmse"] < 4.0 and 0.0 <= payload["hit_rate_at_10"] <= 1.0

    data = load_movielens(ml_folder)
    split = make_split(data)
    result = train("multitask", data, split, family("multitask").make_config(**TINY), seed=42)
    registry.save(result, "mt-direct", models)
    loaded = registry.load("mt-direct", models)
    space = FeatureSpace(result.vocab, data)
    assert np.allclose(tower_scores(loaded.model, space).full(), tower_scores(result.model, space).full(), atol=1e-5)
    stars = stars_predicted(loaded.model, space, split.test)
    assert np.allclose(stars, stars_predicted(result.model, space, split.test), atol=1e-5)
    again = evaluate_loaded("multitask", loaded.model, loaded.meta, data, loaded.vocab)
    for key in ("hit_rate_at_10", "ndcg_at_10", "test_rmse", "test_mae"):
        assert again[key] == pytest.approx(result.metrics[key], abs=1e-6)


@pytest.mark.parametrize("weight", ["-0.1", "1.5", "nan"])
def test_a_weight_out_of_range_is_one_line(ml_folder: Path, capsys: pytest.CaptureFixture[str], weight: str) -> None:
    """Retrieval's share lies in [0, 1] (the rating's is the rest, so both cannot be 0)."""
    argv = ["train", "multitask", "--data", str(ml_folder), "--retrieval-weight", weight, "--epochs", "1"]
    run_inprocess(argv, capsys, 2, "retrieval")
    with pytest.raises(ValueError, match="retrieval_weight must be"):
        MultiTaskConfig(retrieval_weight=-0.5)


def test_the_trade_off_reads_each_weight_as_a_point_and_says_what_the_balance_gives_up() -> None:
    points = [
        (1.0, {"test_rmse": 1.10, "hit_rate_at_10": 0.180}),
        (0.0, {"test_rmse": 0.90, "hit_rate_at_10": 0.050}),
        (0.5, {"test_rmse": 0.92, "hit_rate_at_10": 0.171}),
    ]
    view = trade_off(points, {"test_rmse": 0.89, "bias_only_rmse": 0.94}, {"hit_rate_at_10": 0.176})
    assert [p["weight"] for p in view["points"]] == [0.0, 0.5, 1.0]
    assert view["references"] == {DLRM_POINT: {"test_rmse": 0.89}, TOWERS_POINT: {"hit_rate_at_10": 0.176}}
    sentence = view["sentence"]
    assert "retrieval weight 0.5" in sentence and "+0.020 against weight 0" in sentence
    assert "+0.030 against the DLRM" in sentence and "-0.009 (-5%) against weight 1" in sentence
    assert "-0.005 (-3%) against the 1-layer towers" in sentence
    assert "No multi-task model" in trade_off([])["sentence"]


@pytest.mark.parametrize("weights", ["0,1.5", "a,0.5", "-1", ""])
def test_compare_multitask_refuses_bad_weights_in_one_line(capsys: pytest.CaptureFixture[str], weights: str) -> None:
    run_inprocess(["compare-multitask", "--weights", weights], capsys, 2, "retrieval weight")
    assert parse_weights("1, 0, 0.5, 0") == (0.0, 0.5, 1.0) and TRADE_OFF_WEIGHTS == (0.0, 0.1, 0.5, 0.9, 1.0)


def test_a_preset_per_trade_off_weight_and_the_architecture_shows_both_heads(batch: tuple) -> None:
    """The presets are the trade-off view's weights; the layer table holds both towers, the rating
    head and the retrieval stage, and its parameters add up to the model's."""
    space = batch[0]
    fam = family("multitask")
    assert sorted(fam.make_config(p).retrieval_weight for p in fam.presets) == list(TRADE_OFF_WEIGHTS)
    assert fam.make_config().retrieval_weight == 0.5 and fam.default_entry == "multitask-balanced"
    config = MultiTaskConfig(**TINY)
    rows = architecture_of_config("multitask", config, space.vocab.sizes())
    names = [r["layer"] for r in rows]
    assert any(n.startswith("query_tower") for n in names) and any(n.startswith("candidate_tower") for n in names)
    assert any(n.startswith("rating_head") for n in names) and rows[-1]["type"] == "BruteForceRetrieval"
    model = build_multitask(config, space.vocab.sizes())
    assert sum(r["parameters"] for r in rows if r["depth"] == 0) == count_params(model)


def test_compare_multitask_trains_the_weights_and_the_specialists_as_jobs(
    ml_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each weight a point (RMSE, hit-rate@10), the DLRM's RMSE and the towers' hit-rate@10 as references,
    and the sentence on the balance."""
    argv = ["compare-multitask", "--data", str(ml_folder), "--weights", "0,0.5,1", "--json"]
    assert main([*argv, "--epochs", "1", "--batch-size", "256", "--embedding-dim", "8"]) == 0
    payload = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [p["weight"] for p in payload["points"]] == [0.0, 0.5, 1.0]
    assert all(0.0 < p["test_rmse"] < 4.0 and 0.0 <= p["hit_rate_at_10"] <= 1.0 for p in payload["points"])
    assert set(payload["references"]) == {DLRM_POINT, TOWERS_POINT}
    assert "At retrieval weight 0.5" in payload["sentence"] and payload["split"]["name"] == "random"
