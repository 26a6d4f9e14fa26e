"""Paired tests over folds, Holm's correction and the verdict sentences."""

from __future__ import annotations

import math

import pytest

from recexplore.evaluation.ranker_comparison import summary_sentence
from recexplore.evaluation.significance import holm, paired_p_value, pairwise_verdicts


def test_paired_p_value_matches_the_t_distribution_by_hand() -> None:
    a, b = [0.90, 0.91, 0.89, 0.92, 0.90], [0.91, 0.915, 0.90, 0.925, 0.91]
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    mean = sum(diffs) / 5
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / 4)
    t = mean / (sd / math.sqrt(5))
    from scipy import stats

    assert paired_p_value(a, b) == pytest.approx(2 * stats.t.sf(abs(t), df=4))
    assert math.isnan(paired_p_value([0.9], [0.8]))
    assert paired_p_value([1.0, 2.0], [1.0, 2.0]) == 1.0  # no difference at all
    assert paired_p_value([1.0, 2.0], [0.5, 1.5]) == 0.0  # the same gap on every fold


def test_holm_adjusts_in_order_and_keeps_nan() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    adjusted = holm([0.2, float("nan"), 0.01])
    assert adjusted[0] == pytest.approx(0.2) and math.isnan(adjusted[1]) and adjusted[2] == pytest.approx(0.02)


def test_verdicts_call_a_consistent_gap_real_and_noise_noise() -> None:
    scores = {
        "good": [0.88, 0.89, 0.87, 0.90, 0.88],
        "bad": [0.93, 0.94, 0.92, 0.95, 0.93],  # 0.05 worse on every fold, give or take nothing
        "noisy": [0.87, 0.91, 0.86, 0.92, 0.885],  # as good on average, all over the place
    }
    verdicts = {(v["a"], v["b"]): v for v in pairwise_verdicts(scores, lower_is_better=True)}
    assert verdicts["good", "bad"]["significant"] and verdicts["good", "bad"]["better"] == "good"
    assert "good beats bad by 0.0500 RMSE over 5 folds" in verdicts["good", "bad"]["sentence"]
    assert not verdicts["good", "noisy"]["significant"] and verdicts["good", "noisy"]["better"] is None
    assert "not distinguishable from noise" in verdicts["good", "noisy"]["sentence"]
    higher = {(v["a"], v["b"]): v for v in pairwise_verdicts(scores, lower_is_better=False)}
    assert higher["good", "bad"]["better"] == "bad"  # as hit rates, the larger numbers win


def test_one_split_has_no_test_and_the_summary_says_so() -> None:
    (verdict,) = pairwise_verdicts({"a": [0.9], "b": [0.91]}, lower_is_better=True)
    assert math.isnan(verdict["p_value"]) and not verdict["significant"]
    assert "one split cannot tell" in summary_sentence("a", [verdict], 1)
