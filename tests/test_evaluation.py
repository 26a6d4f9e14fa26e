"""Tests for recexplore.evaluation.accuracy on small hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recexplore.evaluation.accuracy import hits_at, mae, ranks_of, retrieval_report, rmse
from recexplore.models.popularity import popularity_scores

# ---------------------------------------------------------------- rating errors


def test_rmse_and_mae_hand_computed() -> None:
    """Errors (1, 0, -2, 0.5): MSE 5.25/4, MAE 3.5/4."""
    y_true = np.array([1.0, 2.0, 5.0, 3.0], dtype=np.float32)
    y_pred = np.array([2.0, 2.0, 3.0, 3.5], dtype=np.float32)
    assert rmse(y_true, y_pred) == pytest.approx(math.sqrt(5.25 / 4))
    assert mae(y_true, y_pred) == pytest.approx(3.5 / 4)
    assert isinstance(rmse(y_true, y_pred), float) and isinstance(mae(y_true, y_pred), float)


def test_rmse_mae_perfect_and_lists() -> None:
    """Perfect predictions score 0; plain lists are accepted."""
    assert rmse([4, 5], [4, 5]) == 0.0 and mae([4, 5], [4, 5]) == 0.0
    assert rmse([1, 1], [4, 5]) == pytest.approx(math.sqrt((9 + 16) / 2))
    assert mae([1, 1], [4, 5]) == pytest.approx(3.5)


# ---------------------------------------------------------------- ranks


# row 0 is the OOV user; column 0 the OOV item and deliberately the best-scored
SCORES = np.array(
    [
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [9.0, 1.0, 3.0, 3.0, 2.0, 0.0],  # order: 2, 3 (tie, lower index first), 4, 1, 5
        [9.0, 5.0, 4.0, 3.0, 2.0, 1.0],  # order: 1, 2, 3, 4, 5
    ]
)


def test_ranks_of_ties_and_oov_column() -> None:
    """Score descending, ties by lower item index, column 0 never ahead."""
    ranks = ranks_of(SCORES, np.array([1, 1, 1, 1, 1]), np.array([2, 3, 4, 1, 5]))
    assert ranks.tolist() == [0, 1, 2, 3, 4]
    assert np.issubdtype(ranks.dtype, np.integer)
    assert ranks_of(SCORES, [2, 2], [1, 5]).tolist() == [0, 4]


def test_ranks_of_mixed_user_order() -> None:
    """Pairs of several users in any order each get their own user's rank."""
    assert ranks_of(SCORES, [2, 1, 2, 1], [3, 3, 1, 1]).tolist() == [2, 1, 0, 3]


def test_ranks_of_excluded_items_dropped() -> None:
    """Excluded items fall behind every other item; the mask is not modified."""
    exclude = np.zeros(SCORES.shape, dtype=bool)
    exclude[1, 2] = True
    exclude[2, [1, 2]] = True
    before = exclude.copy()
    assert ranks_of(SCORES, [1, 1, 1, 1], [3, 4, 1, 5], exclude=exclude).tolist() == [0, 1, 2, 3]
    assert ranks_of(SCORES, [2, 2], [3, 5], exclude=exclude).tolist() == [0, 2]
    np.testing.assert_array_equal(exclude, before)


def test_ranks_of_own_item_kept_even_if_excluded() -> None:
    """The pair's own item is ranked by its score even when masked."""
    exclude = np.zeros(SCORES.shape, dtype=bool)
    exclude[1, [2, 3]] = True
    assert ranks_of(SCORES, [1], [3], exclude=exclude).tolist() == [0]  # item 2 dropped, item 3 kept
    assert ranks_of(SCORES, [1], [2], exclude=exclude).tolist() == [0]
    exclude[2, :] = True
    assert ranks_of(SCORES, [2], [4], exclude=exclude).tolist() == [0]


def test_ranks_of_two_excluded_pairs_same_user() -> None:
    """Each pair keeps only its own excluded item, not its sibling pair's."""
    exclude = np.zeros(SCORES.shape, dtype=bool)
    exclude[1, [2, 3]] = True
    assert ranks_of(SCORES, [1, 1], [2, 3], exclude=exclude).tolist() == [0, 0]


def test_ranks_of_shared_score_row() -> None:
    """A (1, n_items) score row is shared by every user; exclusion stays per user."""
    shared = np.array([[7.0, 1.0, 4.0, 4.0, 0.5]])
    exclude = np.zeros((3, 5), dtype=bool)
    exclude[2, 2] = True
    assert ranks_of(shared, [1, 2, 2], [3, 3, 1], exclude=exclude).tolist() == [1, 0, 1]


def test_popularity_scores() -> None:
    """Column sums of the training matrix, as one shared row."""
    train = np.array([[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]], dtype=np.int8)
    np.testing.assert_array_equal(popularity_scores(train), [[0, 2, 1, 1]])


# ---------------------------------------------------------------- retrieval report

N_ITEMS = 151  # column 0 (OOV) + items 1..150


def _report_case() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """3 users x 150 items; expected numbers worked out by hand below.

    Model score of item j is j for every user, so unexcluded rank = 150 - j.
    Seen: user 1 items 141..150, user 2 items 1..20, user 3 items 1..5.
    Popularity counts: 1..5 -> 2, 6..20 -> 1, 141..150 -> 1, others 0; order with
    ties by index: 1..5, 6..20, 141..150, 21..140.
    """
    scores = np.zeros((4, N_ITEMS))
    scores[1:, :] = np.arange(N_ITEMS)[None, :]
    train = np.zeros((4, N_ITEMS), dtype=np.int8)
    train[1, 141:151] = 1
    train[2, 1:21] = 1
    train[3, 1:6] = 1
    users = np.array([1, 1, 2, 2, 3, 3])
    items = np.array([135, 8, 145, 60, 51, 50])
    stars = np.array([5.0, 4.0, 5.0, 3.0, 5.0, 2.0])
    return scores, train, users, items, stars


def test_retrieval_report_ranks_by_hand() -> None:
    """The per-pair ranks behind the report (model and popularity, with and without exclusion)."""
    scores, train, users, items, _ = _report_case()
    seen = train.astype(bool)
    pop = popularity_scores(train)
    # model, seen excluded: user 1 loses 141..150 above its items (rank 140 - j)
    assert ranks_of(scores, users, items, exclude=seen).tolist() == [5, 132, 5, 90, 99, 100]
    assert ranks_of(scores, users, items).tolist() == [15, 142, 5, 90, 99, 100]
    assert ranks_of(pop, users, items, exclude=seen).tolist() == [134, 7, 4, 49, 55, 54]
    assert ranks_of(pop, users, items).tolist() == [144, 7, 24, 69, 60, 59]


def test_retrieval_report_hand_computed() -> None:
    """Hit-rate@10/@100 with seen excluded; seed accuracy on 5-star pairs vs all pairs."""
    report = retrieval_report(*_report_case(), samplings=())  # the sampled keys: tests/test_sampled_metrics.py
    expected = {
        # model ranks (excluded) 5, 132, 5, 90, 99, 100
        "hit_rate_at_10": 2 / 6,
        "hit_rate_at_100": 4 / 6,
        # no exclusion: 15, 142, 5, 90, 99, 100; 5-star pairs are 1st, 3rd, 5th
        "seed_top100_accuracy": 3 / 3,
        "seed_top100_accuracy_all": 4 / 6,
        # popularity ranks (excluded) 134, 7, 4, 49, 55, 54
        "popularity_hit_rate_at_10": 2 / 6,
        "popularity_hit_rate_at_100": 5 / 6,
        # popularity without exclusion: 144, 7, 24, 69, 60, 59
        "popularity_seed_top100_accuracy": 2 / 3,
        "popularity_seed_top100_accuracy_all": 5 / 6,
    }
    assert set(report) == set(expected)
    for key, value in expected.items():
        assert report[key] == pytest.approx(value), key
        assert isinstance(report[key], float), key


def test_retrieval_report_no_five_star_ratings() -> None:
    """Without 5-star test ratings the 5-star seed accuracy is 0, not NaN."""
    scores, train, users, items, stars = _report_case()
    report = retrieval_report(scores, train, users, items, np.minimum(stars, 4.0))
    assert report["seed_top100_accuracy"] == 0.0
    assert report["popularity_seed_top100_accuracy"] == 0.0
    assert report["seed_top100_accuracy_all"] == pytest.approx(4 / 6)


# ---------------------------------------------------------------- top-k


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hits_at_matches_full_ranking_with_ties_and_exclusions(seed: int) -> None:
    """The threshold shortcut gives exactly the hits of the full stable ranking."""
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 6, size=(12, 140)).astype(np.float64)  # many ties
    exclude = rng.random((12, 140)) < 0.3
    users = rng.integers(0, 12, size=300)
    items = rng.integers(1, 140, size=300)
    ranks = ranks_of(scores, users, items, exclude=exclude)
    for k, hits in hits_at(scores, users, items, exclude=exclude, ks=(1, 10, 100, 200)).items():
        np.testing.assert_array_equal(hits, ranks < k)
