"""Beyond hit rate: each metric against a case computed by hand, and keras-rs's NDCG and MRR as a
second reference on full score matrices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recexplore.evaluation import list_metrics as rm
from recexplore.evaluation.accuracy import ranks_of


def test_top_k_drops_seen_and_oov_and_breaks_ties_by_the_lower_index() -> None:
    scores = np.array([[9.0, 1.0, 5.0, 5.0, 3.0, 5.0], [9.0, 2.0, 2.0, 2.0, 2.0, 2.0]])
    seen = np.array([[0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0]], dtype=bool)
    assert rm.top_k(scores, np.array([0, 1]), seen, 3).tolist() == [[3, 5, 4], [1, 2, 3]]
    popularity = np.array([[0.0, 4.0, 4.0, 1.0]])  # one row shared by every user
    assert rm.top_k(popularity, np.array([0, 1]), np.array([[0, 1, 0, 0], [0, 0, 0, 0]], bool), 2).tolist() == [
        [2, 3],
        [1, 2],
    ]
    short = rm.top_k(np.array([[0.0, 1.0, 2.0]]), np.array([0]), np.array([[0, 1, 0]], bool), 2)
    assert short.tolist() == [[2, 0]]  # only one movie left: the slot stays empty (0)


def test_top_k_agrees_with_the_hit_rate_ranking() -> None:
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 4, size=(40, 30)).astype(np.float32)  # many ties
    seen = rng.random((40, 30)) < 0.2
    lists = rm.top_k(scores, np.arange(40), seen, 5)
    for user in range(40):
        items = np.arange(1, 30)
        kept = items[~seen[user, 1:]]
        ranks = ranks_of(scores, np.full(len(kept), user), kept, exclude=seen)
        assert lists[user].tolist() == kept[np.argsort(ranks)][:5].tolist()


def test_ndcg_mrr_and_hits_on_a_hand_computed_case() -> None:
    # user 1: held out {2, 5}; user 2: held out {7}. Lists of 3.
    held = rm.HeldOut.of(np.array([1, 1, 2]), np.array([2, 5, 7]), n_items=10)
    lists = np.array([[5, 3, 2], [1, 4, 6]])
    users = rm.per_user(lists, held)
    d = [1 / math.log2(r + 1) for r in (1, 2, 3)]
    assert users["hits"].tolist() == [2, 0]
    assert users["ndcg"] == pytest.approx([(d[0] + d[2]) / (d[0] + d[1]), 0.0])
    assert users["rr"].tolist() == [1.0, 0.0]
    report = rm.list_report(lists, held, rm.Catalogue(np.arange(10), 3, np.eye(10)))
    assert report["ndcg_at_3"] == pytest.approx((d[0] + d[2]) / (d[0] + d[1]) / 2)
    assert report["mrr_at_3"] == 0.5


def test_ndcg_and_mrr_match_keras_rs_on_full_rankings() -> None:
    """keras-rs's NDCG and MRR need every user's whole score row (users x movies); ours read
    only the top-k lists (users x k). On full rows, with seen movies pushed to the bottom, the two agree."""
    import keras_rs

    rng = np.random.default_rng(0)
    scores = rng.normal(size=(20, 25)).astype(np.float32)
    seen = rng.random((20, 25)) < 0.3
    truth = (rng.random((20, 25)) < 0.15) & ~seen
    truth[:, 0] = seen[:, 0] = False
    truth[np.arange(20), rng.integers(1, 25, 20)] = True
    seen &= ~truth
    users, items = np.nonzero(truth)
    held = rm.HeldOut.of(users, items, 25)
    lists = rm.top_k(scores, held.users, seen, 10)
    ours = rm.per_user(lists, held)
    ranked = np.where(seen, -1e9, scores)
    ranked[:, 0] = -1e9
    for name, metric, key in (
        ("ndcg", keras_rs.metrics.NDCG(k=10), "ndcg"),
        ("mrr", keras_rs.metrics.MeanReciprocalRank(k=10), "rr"),
    ):
        metric.update_state(truth[held.users].astype(np.float32), ranked[held.users])
        assert float(metric.result()) == pytest.approx(float(np.mean(ours[key])), abs=1e-5), name


def test_coverage_gini_popularity_novelty_on_hand_computed_cases() -> None:
    lists = np.array([[1, 2], [1, 3]])
    assert rm.recommendation_counts(lists, 5).tolist() == [2, 1, 1, 0]
    assert rm.catalog_coverage(lists, 5) == 0.75  # movies 1, 2, 3 of 1..4
    assert rm.gini(np.array([2, 1, 1, 0])) == pytest.approx(((-3) * 0 + (-1) * 1 + 1 * 1 + 3 * 2) / (4 * 4))
    assert rm.gini(np.array([3, 3, 3])) == 0.0 and rm.gini(np.array([0, 0, 0, 6])) == pytest.approx(0.75)
    percent = rm.popularity_percentiles(np.array([0, 10, 30, 20, 20]))
    assert percent.tolist() == pytest.approx([0.0, 0.0, 100.0, 50.0, 50.0])  # ties share their mean rank
    info = rm.self_information(np.array([0, 4, 2, 0]), n_train_users=8)
    assert info.tolist() == pytest.approx([3.0, 1.0, 2.0, 3.0])  # -log2(4/8), -log2(2/8), unrated as once


def test_diversity_and_personalization_on_hand_computed_cases() -> None:
    genres = np.array([[0, 0], [1, 0], [1, 0], [0, 1], [1, 1]], dtype=np.float32)
    # list 1: two identical genre vectors (cosine 1); list 2: orthogonal (cosine 0) -> 1 - (1 + 0) / 2
    assert rm.intra_list_diversity(np.array([[1, 2], [1, 3]]), genres) == pytest.approx(0.5)
    three = np.array([[1, 3, 4]])  # cosines: 0, 1/sqrt2, 1/sqrt2
    assert rm.intra_list_diversity(three, genres) == pytest.approx(1 - (2 / math.sqrt(2)) / 3)
    same = np.array([[1, 2], [2, 1], [1, 2]])
    assert rm.personalization(same) == 0.0
    # pairs (0,1): Jaccard 1/3, (0,2): 0, (1,2): 0 -> 1 - 1/9
    assert rm.personalization(np.array([[1, 2], [2, 3], [4, 5]])) == pytest.approx(1 - 1 / 9)
    many = np.random.default_rng(1).integers(1, 50, size=(500, 10))
    assert rm.personalization(many, pairs=300) == rm.personalization(many, pairs=300)  # seeded: reproducible


def test_jaccard_and_rank_biased_overlap_on_hand_computed_cases() -> None:
    from recexplore.evaluation.list_overlap import jaccard, rank_biased_overlap

    assert jaccard([1, 2, 3], [3, 4, 1]) == 0.5 and jaccard([], []) == 1.0
    assert rank_biased_overlap([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert rank_biased_overlap([1, 2], [3, 4]) == 0.0
    # X_1 = 0, X_2 = 2 (same set, swapped): (1 - p)/p * (0 + p^2 * 2/2) + p^2 * 2/2 with p = 0.5
    assert rank_biased_overlap([1, 2], [2, 1], p=0.5) == pytest.approx(0.5 * 0.25 / 0.5 + 0.25)
    top = rank_biased_overlap([1, 2, 3, 4], [1, 2, 9, 8])
    bottom = rank_biased_overlap([1, 2, 3, 4], [9, 8, 3, 4])
    assert top > bottom  # agreeing at the top counts more: Jaccard calls them equal
    with pytest.raises(ValueError, match="one length"):
        rank_biased_overlap([1], [1, 2])


def test_long_tail_orders_movies_by_training_popularity() -> None:
    from recexplore.evaluation.beyond import long_tail

    counts = np.array([0, 5, 50, 20, 20])  # movie 2 most rated, then 3 and 4 (tie: lower index first)
    assert long_tail(np.array([[1, 4], [4, 3]]), counts).tolist() == [0, 1, 2, 1]
