"""The new-user fold-in: a fitted query vector that follows likes and avoids dislikes."""

from __future__ import annotations

import numpy as np
import pytest

from recexplore.serving.cold_start import STAR_WEIGHTS, Prior, _loss_grad_hess, fit_query, star_weights

TEMPERATURE = 0.2


def planted_catalogue(seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray], Prior]:
    """Three taste clusters (30 movies each) on top of a shared popularity direction, and known
    users spread over all three: the geometry a trained two-tower model has."""
    rng = np.random.default_rng(seed)
    d = 8
    popular = np.zeros(d)
    popular[0] = 1.0
    centres = np.eye(d)[1:4] * 1.5
    clusters, vectors = {}, []
    for i, name in enumerate(("liked", "disliked", "neutral")):
        block = 0.8 * popular + centres[i] + 0.25 * rng.normal(size=(30, d))
        clusters[name] = np.arange(30 * i, 30 * (i + 1))
        vectors.append(block)
    candidates = np.concatenate(vectors)
    users = popular + centres[rng.integers(0, 3, size=400)] * 0.6 + 0.2 * rng.normal(size=(400, d))
    return candidates, clusters, Prior.of_users(users)


def mean_rank(scores: np.ndarray, movies: np.ndarray, rated: np.ndarray) -> float:
    order = np.argsort(-np.where(np.isin(np.arange(len(scores)), rated), -np.inf, scores))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return float(rank[np.setdiff1d(movies, rated)].mean())


def test_a_disliked_cluster_ranks_below_a_neutral_one() -> None:
    candidates, clusters, prior = planted_catalogue()
    rated = np.array([clusters["liked"][0], clusters["liked"][1], clusters["disliked"][0]])
    fold = fit_query(candidates, TEMPERATURE, rated, np.array([5.0, 4.0, 1.0]), prior)
    scores = candidates @ fold.query
    liked, disliked, neutral = (mean_rank(scores, clusters[c], rated) for c in ("liked", "disliked", "neutral"))
    assert liked < neutral < disliked
    # The same likes without the dislike: the disliked cluster was not that far down.
    without = candidates @ fit_query(candidates, TEMPERATURE, rated[:2], np.array([5.0, 4.0]), prior).query
    assert mean_rank(without, clusters["disliked"], rated) < disliked
    # The old star-weighted mean of candidate vectors (stars centred on 3) did the opposite of
    # moving away: it flipped the shared popularity direction. The fitted vector keeps it.
    assert fold.query @ np.eye(8)[0] > 0


def test_only_a_dislike_stays_with_the_other_tastes() -> None:
    """One 1-star rating alone: the list comes from the other clusters, not from obscure corners."""
    candidates, clusters, prior = planted_catalogue(1)
    rated = clusters["disliked"][:1]
    scores = candidates @ fit_query(candidates, TEMPERATURE, rated, np.array([1.0]), prior).query
    top = np.argsort(-scores)[:10]
    assert not np.isin(top, clusters["disliked"]).any()


def test_the_fit_is_a_stationary_point_and_starts_at_the_prior() -> None:
    candidates, clusters, prior = planted_catalogue(2)
    rated = np.array([clusters["liked"][3], clusters["neutral"][4], clusters["disliked"][5]])
    stars = np.array([5.0, 3.0, 2.0])
    fold = fit_query(candidates, TEMPERATURE, rated, stars, prior)
    _, grad, _ = _loss_grad_hess(
        fold.query.astype(np.float64), candidates, TEMPERATURE, rated, star_weights(stars), prior, 1.0
    )
    _, grad0, _ = _loss_grad_hess(prior.mean, candidates, TEMPERATURE, rated, star_weights(stars), prior, 1.0)
    assert np.linalg.norm(grad) < 1e-3 * np.linalg.norm(grad0)
    assert 1 <= fold.steps


@pytest.mark.parametrize(("stars", "sign"), [(5, 1), (4, 1), (3, 1), (2, -1), (1, -1)])
def test_star_weights_signs(stars: int, sign: int) -> None:
    assert np.sign(star_weights(np.array([stars]))[0]) == sign == np.sign(STAR_WEIGHTS[stars])
    assert star_weights(np.array([4.6]))[0] == STAR_WEIGHTS[5]  # half stars round to whole ones
