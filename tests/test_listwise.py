"""The listwise family: its losses on hand-built lists, lists cut from a user's ratings, the
held-out list metrics (by hand and against keras-rs), training and reloading, compare-rankers'
loss dimension, and one line for bad input."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import keras_rs
import numpy as np
import pandas as pd
import pytest

from recexplore.cli.main import main
from recexplore.data.lists import BY_TIME, SHUFFLED, user_lists
from recexplore.evaluation.held_out_lists import HeldOutLists, list_metrics
from recexplore.evaluation.ranker_comparison import compare_rows, rankers
from recexplore.families import family
from recexplore.models.listwise import LOSSES, PADDED, ListwiseConfig, ranking_loss
from tests.test_cli_bad_input import TINY, run_inprocess

ROOT = Path(__file__).resolve().parent.parent
STARS = np.array([[5.0, 3.0, 1.0, 4.0]], dtype=np.float32)
RIGHT = np.array([[4.0, 2.0, 0.0, 3.0]], dtype=np.float32)  # the stars' order
WRONG = RIGHT[:, ::-1].copy()  # 0, 3, 2, 4: the 5-star movie last


@pytest.mark.parametrize("name", LOSSES)
def test_each_loss_prefers_the_right_order_and_ignores_padding(name: str) -> None:
    loss = ranking_loss(name)
    right, wrong = float(loss(STARS, RIGHT)), float(loss(STARS, WRONG))
    assert right < wrong
    padded = np.concatenate([STARS, [[PADDED]]], axis=1)
    low, high = (float(loss(padded, np.concatenate([RIGHT, [[score]]], axis=1))) for score in (-50.0, 50.0))
    assert low == pytest.approx(high, rel=1e-6)  # whatever a padded slot scores, it is out of the loss
    assert high < float(loss(padded, np.concatenate([WRONG, [[0.0]]], axis=1)))


def test_the_pairwise_hinge_loss_counts_each_pair_in_the_wrong_order() -> None:
    # stars 2 > 1: a score gap of 0.5 in the right order costs 1 - 0.5, in the wrong order 1 + 0.5;
    # keras-rs sums a list's pairs and averages over its 2 slots
    loss = ranking_loss("pairwise_hinge")
    assert float(loss(np.array([[2.0, 1.0]]), np.array([[1.0, 0.5]]))) == pytest.approx(0.5 / 2)
    assert float(loss(np.array([[2.0, 1.0]]), np.array([[0.5, 1.0]]))) == pytest.approx(1.5 / 2)
    assert float(loss(np.array([[2.0, 1.0]]), np.array([[2.0, 0.5]]))) == 0.0  # past the margin: no cost


def test_a_users_ratings_are_cut_into_lists_each_row_once() -> None:
    users = np.array([1, 1, 1, 1, 1, 2, 2, 3])
    stamps = np.array([50, 40, 30, 20, 10, 2, 1, 7])
    for cut in (SHUFFLED, BY_TIME):
        lists = user_lists(users, stamps, 2, cut, np.random.default_rng(0))
        rows = lists[lists >= 0]
        assert sorted(rows) == list(range(8))  # every rating in exactly one list
        assert all(len(set(users[r[r >= 0]])) == 1 for r in lists)  # a list holds one user's ratings
        assert lists.shape == (3 + 1 + 1, 2)  # user 1: 2 + 2 + 1 padded, user 2: 2, user 3: 1 padded
    by_time = user_lists(users, stamps, 2, BY_TIME, np.random.default_rng(0))
    firsts = {tuple(r) for r in by_time}
    assert (4, 3) in firsts and (2, 1) in firsts and (0, -1) in firsts  # rated in that order


def _test_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [1, 1, 1, 2, 2, 3],
            "movie_id": [10, 11, 12, 10, 13, 11],
            "user_rating": [5.0, 3.0, 1.0, 2.0, 4.0, 5.0],
        }
    )


def test_list_ndcg_and_mrr_by_hand() -> None:
    test = _test_rows()
    # user 1 ranked 12 (1 star), 10 (5), 11 (3); user 2 ranked right; user 3 has one movie: no list
    scores = np.array([0.5, 0.1, 0.9, 0.0, 1.0, 7.0])
    values = HeldOutLists.of(test).per_user(scores)
    dcg = 1 / np.log2(2) + 5 / np.log2(3) + 3 / np.log2(4)
    ideal = 5 / np.log2(2) + 3 / np.log2(3) + 1 / np.log2(4)
    assert values["ndcg_at_5"] == pytest.approx([dcg / ideal, 1.0])
    two = (1 + 5 / np.log2(3)) / (5 + 3 / np.log2(3))  # @2: only the top two count
    assert HeldOutLists.of(test).per_user(scores)["ndcg_at_10"][0] == pytest.approx(dcg / ideal)
    assert two < dcg / ideal
    assert values["rr"][0] == pytest.approx(0.5) and np.isnan(values["rr"][1])  # user 2 has no 5-star movie
    report = HeldOutLists.of(test).report(scores)
    assert report == pytest.approx(
        {"list_ndcg_at_5": (dcg / ideal + 1) / 2, "list_ndcg_at_10": (dcg / ideal + 1) / 2, "list_mrr": 0.5}
    )


def test_ties_go_to_the_lower_movie_id_and_the_peers_order_the_same_lists() -> None:
    test = _test_rows()
    flat = np.zeros(len(test))
    tied = HeldOutLists.of(test).per_user(flat)
    assert tied["rr"][0] == 1.0  # movie 10 (5 stars) has the lowest id of user 1's three
    report = list_metrics(test, flat, bias_only=np.array([1.0, 3.0, 2.0, 0.0, 1.0, 0.0]), train_counts={12: 9, 11: 5})
    assert report["bias_only_list_mrr"] == pytest.approx(1 / 3)  # bias order 11, 12, 10
    assert report["popularity_list_mrr"] == pytest.approx(1 / 3)  # popularity order 12, 11, 10
    assert report["list_mrr"] == 1.0


@pytest.mark.parametrize("k", [5, 10])
def test_list_metrics_agree_with_keras_rs(k: int) -> None:
    rng = np.random.default_rng(3)
    users = np.repeat(np.arange(40), 12)
    test = pd.DataFrame(
        {
            "user_id": users,
            "movie_id": np.tile(np.arange(12), 40),
            "user_rating": rng.integers(1, 6, len(users)).astype(float),
        }
    )
    scores = rng.normal(size=len(users))
    values = HeldOutLists.of(test).per_user(scores)
    labels, logits = test["user_rating"].to_numpy().reshape(40, 12), scores.reshape(40, 12)
    ndcg = keras_rs.metrics.NDCG(k=k, gain_fn=lambda x: x, shuffle_ties=False)
    ndcg.update_state(labels, logits)
    assert float(ndcg.result()) == pytest.approx(np.mean(values[f"ndcg_at_{k}"]), rel=1e-5)
    has_five = (labels == 5).any(axis=1)
    mrr = keras_rs.metrics.MeanReciprocalRank(shuffle_ties=False)
    mrr.update_state((labels[has_five] == 5).astype(np.float32), logits[has_five])
    assert float(mrr.result()) == pytest.approx(np.nanmean(values["rr"]), rel=1e-5)


def test_hostile_settings_get_one_line(ml_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["train", "listwise", "--data", str(ml_folder), *TINY]
    run_inprocess([*base, "--loss", "softmax"], capsys, 2, "--loss")
    run_inprocess([*base, "--list-length", "0"], capsys, 2, "list")
    run_inprocess([*base, "--list-length", "101"], capsys, 2, "list")
    run_inprocess([*base, "--list-length", "100"], capsys, 2, "longer than any user's training history")
    compare = ["compare-rankers", "--data", str(ml_folder), *TINY]
    run_inprocess([*compare, "--losses", "mse,hinge"], capsys, 2, "--losses", "got hinge")
    with pytest.raises(ValueError, match="loss must be one of"):
        ListwiseConfig(loss="hinge")
    with pytest.raises(ValueError, match="loss must be one of"):
        ranking_loss("hinge")
    with pytest.raises(ValueError, match="losses must be some of"):
        rankers(("hinge",))


def test_train_save_and_reload_give_the_same_outputs(
    ml_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from recexplore.data.loading import load_movielens
    from recexplore.evaluation.scoring import evaluate_loaded, prepare_loaded, rating_scores
    from recexplore.store import registry

    models = tmp_path / "models"
    argv = ["train", "listwise", "--data", str(ml_folder), "--loss", "pairwise_logistic", "--json", *TINY]
    assert main([*argv, "--list-length", "8", "--save", "lw", "--models-dir", str(models)]) == 0
    payload = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert payload["kind"] == "listwise" and payload["config"]["loss"] == "pairwise_logistic"
    for key in ("list_ndcg_at_5", "list_ndcg_at_10", "list_mrr", "bias_only_list_ndcg_at_10", "popularity_list_mrr"):
        assert 0.0 <= payload[key] <= 1.0
    assert 0.0 < payload["test_rmse"] < payload["global_mean_rmse"] + 0.5  # calibrated to stars
    loaded = registry.load("lw", models)
    data = load_movielens(ml_folder)
    again = evaluate_loaded("listwise", loaded.model, loaded.meta, data, loaded.vocab)
    for key in ("test_rmse", "list_ndcg_at_10", "list_mrr"):
        assert again[key] == pytest.approx(payload[key], abs=1e-6)
    # the calibration line is the least-squares fit on the training ratings: their mean is the stars' mean
    space, split = prepare_loaded("listwise", loaded.model, loaded.meta, data, loaded.vocab)
    stars = rating_scores(loaded.model, space, split.train)
    assert float(loaded.model.calibration[0]) > 0
    assert stars.mean() == pytest.approx(split.train["user_rating"].mean(), abs=1e-3)


def _result(loss: str, rmse: float, ndcg: float) -> SimpleNamespace:
    metrics = {
        "test_rmse": rmse,
        "test_mae": rmse * 0.8,
        "global_mean_rmse": 1.1,
        "bias_only_rmse": 0.95,
        "list_ndcg_at_5": ndcg - 0.01,
        "list_ndcg_at_10": ndcg,
        "list_mrr": ndcg - 0.2,
        **{f"{p}list_{k}": 0.8 for p in ("bias_only_", "popularity_") for k in ("ndcg_at_5", "ndcg_at_10", "mrr")},
    }
    config = SimpleNamespace(training_loss=loss)
    return SimpleNamespace(metrics=metrics, params=10, train_seconds=1.0, config=config)


def test_compare_rankers_reads_the_loss_and_gives_a_list_verdict_per_pair() -> None:
    assert [p for _, p in rankers(("mse", "list_mle"))] == ["dlrm", "dcn-cross", "dcn-lowrank", "dnn", "listmle"]
    folds = ["u1", "u2", "u3", "u4", "u5"]
    results = [
        (label, kind, split, _result(loss, 0.91 + i * 0.001, ndcg + i * 0.002))
        for label, kind, loss, ndcg in (("dlrm", "dlrm", "mse", 0.85), ("listmle", "listwise", "list_mle", 0.87))
        for i, split in enumerate(folds)
    ]
    payload = compare_rows(results, folds)
    assert [r["loss"] for r in payload["rows"]] == ["mse", "list_mle"]
    assert payload["rows"][1]["mean_list_ndcg_at_10"] == pytest.approx(0.874)
    assert len(payload["verdicts"]) == len(payload["list_verdicts"]) == 1
    assert payload["list_verdicts"][0]["better"] == "listmle"
    assert "listmle has the highest mean list NDCG@10 over 5 folds" in payload["list_summary"]
    assert payload["lines"][-1] == payload["list_summary"]  # the CLI's last line


def test_the_train_page_offers_the_loss_and_the_list_settings(data_env: None) -> None:
    from streamlit.testing.v1 import AppTest

    page = AppTest.from_file(str(ROOT / "pages" / "train.py"), default_timeout=120).run()
    title = family("listwise").title
    assert title in page.radio(key="train_kind").options
    page.radio(key="train_kind").set_value(title).run()
    assert not page.exception
    loss = next(s for s in page.selectbox if s.key == "train_loss_listwise")
    assert list(loss.options) == list(LOSSES) and loss.value == "list_mle"
    assert any(w.key == "train_list_length_listwise" for w in [*page.number_input, *page.slider])
