"""EASE: the closed form against a hand-computed case, the validation choice, the cached report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.evaluation.ease_report import (
    REPORT_KEYS,
    cached_report,
    cached_report_if_ready,
    choose_lambda,
    per_user_if_ready,
)
from recexplore.models.ease import EASE_LAMBDAS, TEACHER_MASKED, ease_scores, ease_weights, teacher_logits


def test_two_items_by_hand() -> None:
    """X = [[1,1],[1,0],[0,1]]: G = [[2,1],[1,2]]; with lambda 1, P = inv([[3,1],[1,3]]) = [[3,-1],[-1,3]] / 8,
    so B_12 = -P_12 / P_22 = (1/8) / (3/8) = 1/3, likewise B_21, and the diagonal is zero."""
    x = np.array([[1, 1], [1, 0], [0, 1]])
    np.testing.assert_allclose(ease_weights(x, 1.0), [[0.0, 1 / 3], [1 / 3, 0.0]], atol=1e-12)


def test_matches_the_textbook_inverse() -> None:
    rng = np.random.default_rng(0)
    x = (rng.random((40, 12)) < 0.3).astype(float)
    lam = 7.0
    p = np.linalg.inv(x.T @ x + lam * np.eye(12))
    expected = np.eye(12) - p / np.diag(p)[None, :]
    np.testing.assert_allclose(ease_weights(x, lam), expected, atol=1e-6)  # a float32 Cholesky inverse
    with pytest.raises(ValueError, match="lambda must be positive"):
        ease_weights(x, 0.0)


def test_lambda_is_chosen_on_validation_rows() -> None:
    """Two tastes (items 0-29, items 30-59); each user rated 20 of their own block's 30. The
    validation row is one more of their own block: EASE ranks the 10 unseen own-block items
    first, so the validation item is in the top 10 for a sensible lambda."""
    rng = np.random.default_rng(1)
    n_users, block = 80, 30
    x = np.zeros((n_users, 2 * block), dtype=np.int8)
    users, items = np.arange(n_users), np.zeros(n_users, dtype=np.int64)
    for u in users:
        own = rng.permutation(block) + (0 if u < n_users // 2 else block)
        x[u, own[:20]] = 1
        items[u] = own[20]
    fit = choose_lambda(x, users, items, lambdas=(1.0, 10.0, 1e6))
    assert set(fit.validation) == {1.0, 10.0, 1e6}
    assert fit.lam in (1.0, 10.0) and fit.validation[fit.lam] >= 0.9
    assert fit.validation[fit.lam] >= fit.validation[1e6]


def test_the_report_is_cached_per_split(ml_folder: Path) -> None:
    data = load_movielens(ml_folder)
    split = make_split(data)
    assert cached_report_if_ready(data, split.name, split.seed) is None
    report = cached_report(data, split)
    assert set(report) == set(REPORT_KEYS) and "ease_ndcg_at_10" in report and "ease_gini_at_10" in report
    assert (
        report["ease_lambda"] in EASE_LAMBDAS and 0 <= report["ease_hit_rate_at_10"] <= report["ease_hit_rate_at_100"]
    )
    assert cached_report_if_ready(data, split.name, split.seed) == report
    assert cached_report_if_ready(data, "random", 7) is None  # another split: not the same numbers
    users = per_user_if_ready(data, split.name, split.seed)
    assert users is not None and len(users["ndcg"]) == split.test["user_id"].nunique()


def test_teacher_ranks_only_what_each_user_has_not_rated() -> None:
    """The distillation teacher: EASE's scores over the temperature, the rated movies and the
    padding row and column (index 0) masked."""
    rng = np.random.default_rng(3)
    x = (rng.random((9, 14)) < 0.35).astype(np.int8)
    x[0, :], x[:, 0] = 0, 0
    logits = teacher_logits(x, 20.0, 0.5)
    masked = (x > 0) | (np.arange(9)[:, None] == 0) | (np.arange(14)[None, :] == 0)
    assert np.all(logits[masked] == TEACHER_MASKED)
    np.testing.assert_allclose(logits[~masked], ease_scores(x, 20.0)[~masked] / 0.5, rtol=1e-6)
    assert np.all(np.abs(logits[~masked]) < 1e3)


def test_spd_inverse_matches_the_general_one_and_falls_back() -> None:
    """The Cholesky inverse EASE uses for one lambda, and the general inverse where the
    matrix is not positive definite."""
    from recexplore.models.ease import _spd_inverse

    rng = np.random.default_rng(5)
    a = rng.normal(size=(30, 30))
    spd = a @ a.T + 30 * np.eye(30)
    exact = np.linalg.inv(spd)
    np.testing.assert_allclose(_spd_inverse(spd), exact, rtol=0, atol=1e-5 * np.abs(exact).max())  # float32's
    assert np.array_equal(_spd_inverse(spd), _spd_inverse(spd).T)  # symmetric, as P must be
    indefinite = np.array([[1.0, 2.0], [2.0, 1.0]])
    np.testing.assert_allclose(_spd_inverse(indefinite), np.linalg.inv(indefinite), atol=1e-12)


def test_the_lambda_search_fits_only_the_most_rated_movies_of_a_large_catalogue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Above EASE_SEARCH_ITEMS movies the search (one solve per lambda) fits the most-rated ones only;
    at or below it, the whole catalogue, as before."""
    from recexplore.config import memory
    from recexplore.evaluation import ease_report
    from recexplore.models.ease import Gram

    rng = np.random.default_rng(4)
    x = (rng.random((120, 61)) < np.linspace(0.4, 0.02, 61)).astype(np.int8)  # column 1 the most rated
    x[:, 0] = 0
    users, items = rng.integers(0, 120, 40), rng.integers(1, 61, 40)
    fitted: list[int] = []
    original = Gram.of

    def recording(matrix: object, columns: np.ndarray | None) -> Gram:
        fitted.append(60 if columns is None else len(columns))
        return original(matrix, columns)

    monkeypatch.setattr(ease_report.Gram, "of", recording)
    monkeypatch.setattr(memory, "EASE_MIN_ITEMS", 10)
    monkeypatch.setattr(memory, "EASE_SEARCH_ITEMS", 20)
    choose_lambda(x, users, items, lambdas=(5.0, 50.0), cap=None)
    monkeypatch.setattr(memory, "EASE_SEARCH_ITEMS", 100)
    choose_lambda(x, users, items, lambdas=(5.0, 50.0), cap=None)
    assert fitted == [20, 60]
