"""Results by user group, and the paired tests over users and over folds, on hand-built cases."""

from __future__ import annotations

import numpy as np
import pytest

from recexplore.evaluation.beyond import Target, gain_sentence, slices, user_values
from recexplore.evaluation.significance import fold_interval, paired_bootstrap, significance_rows


def _target() -> Target:
    """4 users x 6 movies (column 0: OOV). Users 1 and 2 are light (1 training rating), 3 is
    heavier; movie 1 is the most rated (the head: round(0.2 * 5) = 1 movie)."""
    train = np.zeros((4, 6), dtype=np.int8)
    train[1, 1] = train[2, 1] = 1
    train[3, [1, 2]] = 1
    test_users, test_items = np.array([1, 1, 2, 3]), np.array([2, 3, 4, 5])
    genres = np.eye(6, dtype=np.float32)
    gender = (("F", "M"), np.array([0, 1, 2, 2]))
    return Target.build(train, test_users, test_items, genres, gender=gender)


def test_slices_by_user_group_and_by_held_out_movies() -> None:
    target = _target()
    assert target.head.tolist() == [False, True, False, False, False, False]
    model = np.array([[2, 3], [4, 5], [5, 3]])  # users 1, 2, 3 (their training movies excluded)
    popular = np.array([[3, 4], [2, 3], [3, 4]])
    rows = {r["group"]: r for r in slices({"": model, "popularity_": popular}, target)}
    assert rows["activity < 30"]["users"] == 3 and rows["activity < 30"]["hit_rate_at_2"] == 1.0  # 4 of 4
    assert rows["activity < 30"]["popularity_hit_rate_at_2"] == 0.25  # user 1's movie 3 only
    assert rows["gender F"]["users"] == 1 and rows["gender M"]["users"] == 2
    assert rows["gender M"]["ndcg_at_2"] == pytest.approx(1.0)
    assert "held-out head" not in rows and rows["held-out tail"]["users"] == 3  # no held-out rating of movie 1
    sentence = gain_sentence(list(rows.values()), k=2)
    assert sentence.startswith("The model gains most over popularity for") and "hit rate@2" in sentence


def test_user_values_line_up_with_the_evaluated_users() -> None:
    target = _target()
    values = user_values(np.array([[2, 4], [4, 1], [1, 2]]), target)
    assert values["hits"] == [1.0, 1.0, 0.0] and values["relevant"] == [2.0, 1.0, 1.0]


def test_a_paired_bootstrap_finds_a_real_gap_and_none_between_equals() -> None:
    rng = np.random.default_rng(5)
    relevant = rng.integers(1, 20, 300).astype(float)
    weak = {"hits": np.floor(relevant * 0.2), "relevant": relevant, "ndcg": rng.random(300) * 0.5}
    strong = {"hits": np.floor(relevant * 0.6), "relevant": relevant, "ndcg": weak["ndcg"] + 0.1}
    gap = paired_bootstrap(strong, weak, "hit_rate_at_10")
    micro = (strong["hits"].sum() - weak["hits"].sum()) / relevant.sum()  # as the headline: micro-averaged
    assert gap["diff"] == pytest.approx(micro) and 0 < gap["ci_low"] <= gap["diff"] <= gap["ci_high"]
    assert gap["p_value"] == pytest.approx(2 / 2001)  # the smallest a 2000-resample test can say
    ndcg = paired_bootstrap(strong, weak, "ndcg_at_10")
    assert ndcg["diff"] == pytest.approx(0.1) and ndcg["ci_low"] == pytest.approx(0.1)
    same = paired_bootstrap(weak, weak, "ndcg_at_10")
    assert same["diff"] == 0.0 and same["p_value"] == 1.0
    assert paired_bootstrap(strong, weak, "hit_rate_at_10") == gap  # seeded: the same verdict every run


def test_fold_interval_and_the_rows_with_holm() -> None:
    found = fold_interval([0.20, 0.22, 0.21], [0.18, 0.19, 0.19])
    diffs = np.array([0.02, 0.03, 0.02])
    half = 4.302652729911275 * diffs.std(ddof=1) / np.sqrt(3)  # t(0.975, 2)
    assert found["diff"] == pytest.approx(diffs.mean()) and found["ci_high"] == pytest.approx(diffs.mean() + half)
    rows = significance_rows(
        [("a", "b", "hit_rate_at_10", found), ("a", "c", "ndcg_at_10", dict(found, p_value=0.5))], "folds"
    )
    assert [r["p_holm"] for r in rows] == pytest.approx([min(1.0, 2 * found["p_value"]), 0.5])
    assert (
        rows[0]["over"] == "folds"
        and "[+0.0" in rows[0]["sentence"]
        and "paired t-test over folds" in rows[0]["sentence"]
    )
