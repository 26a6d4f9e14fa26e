"""Recommender: seen movies excluded, ordering by score, clear errors."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from recexplore.data.features import Vocabularies
from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.evaluation.scoring import all_pair_scores, towers_metrics
from recexplore.serving.recommend import Recommender, RecommendError, for_new_user
from recexplore.training.trainer import train
from tests.conftest import tiny_towers_config


@pytest.fixture(scope="module")
def recommender(ml_folder: Path) -> Recommender:
    data = load_movielens(ml_folder)
    vocab = Vocabularies.build(data)
    split = make_split(data)
    result = train("towers", data, split, tiny_towers_config(), vocab=vocab)
    return Recommender.build(result.model, vocab, data, split)


def _training_movies(recommender: Recommender, user: int) -> set[int]:
    train = make_split(recommender.data).train
    return set(train.loc[train["user_id"] == user, "movie_id"])


def test_recommendations_exclude_training_movies_and_match_brute_force(recommender: Recommender) -> None:
    data = recommender.data
    user = int(data.ratings["user_id"].iloc[0])
    frame = recommender.recommend(user, k=10)
    rated = _training_movies(recommender, user)
    assert len(frame) == 10 and not rated & set(frame["movie_id"])
    assert list(frame["score"]) == sorted(frame["score"], reverse=True)
    scores = all_pair_scores(recommender.model, recommender.space)[recommender.user_index(user)]
    ids = np.asarray(recommender.space.vocab.movie_ids)
    expected = [m for m in ids[np.argsort(-scores[1:], kind="stable")] if m not in rated][:10]
    assert list(frame["movie_id"]) == expected


def test_k_up_to_the_catalogue(recommender: Recommender) -> None:
    user = int(recommender.data.users["user_id"].iloc[0])
    frame = recommender.recommend(user, k=recommender.n_candidates)
    assert len(frame) == recommender.n_candidates - len(_training_movies(recommender, user))


def test_held_out_hits_match_the_test_split_and_the_metric(recommender: Recommender) -> None:
    test = make_split(recommender.data).test
    total_hits = 0
    for user in sorted(set(test["user_id"])):
        frame = recommender.recommend(user, k=10)
        own = dict(
            zip(
                test.loc[test["user_id"] == user, "movie_id"],
                test.loc[test["user_id"] == user, "user_rating"],
                strict=True,
            )
        )
        assert recommender.held_out_of(user) == {int(m): int(r) for m, r in own.items()}
        total_hits += sum(m in own for m in frame["movie_id"])
    # The per-user hits add up to the model's hit-rate@10, as evaluation computes it.
    metrics = towers_metrics(recommender.model, recommender.space, make_split(recommender.data))
    assert recommender.average_hit_rate(10) == pytest.approx(total_hits / len(test))
    assert recommender.average_hit_rate(10) == pytest.approx(metrics["hit_rate_at_10"], abs=1e-9)
    assert total_hits > 0  # the planted tastes put some held-out movies in the lists


@pytest.mark.parametrize(
    ("user", "k", "message"),
    [(10**6, 5, "Unknown user"), ("abc", 5, "integer"), (1, 0, "k must"), (1, 10**6, "k must")],
)
def test_bad_requests(recommender: Recommender, user: object, k: int, message: str) -> None:
    with pytest.raises(RecommendError, match=message):
        recommender.recommend(user, k)


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ({}, "Rate at least one movie"),
        ({1: 0}, "between 1 and 5"),
        ({1: 6}, "between 1 and 5"),
        ({1: float("nan")}, "between 1 and 5"),
        ({1: float("inf")}, "between 1 and 5"),
        ({1: "five"}, "integer movie ids"),
        ({"abc": 4}, "integer movie ids"),
        ({10**9: 4}, "Unknown movie id"),
        ({-1: 4}, "Unknown movie id"),
    ],
)
def test_bad_new_user_ratings(recommender: Recommender, ratings: dict, message: str) -> None:
    with pytest.raises(RecommendError, match=message) as err:
        for_new_user(recommender, ratings)
    assert "\n" not in str(err.value)


def test_new_user_recommendations_exclude_the_rated_movies(recommender: Recommender) -> None:
    movies = [int(m) for m in recommender.data.movies["movie_id"].iloc[:3]]
    frame = for_new_user(recommender, {movies[0]: 5, movies[1]: 1, movies[2]: 3}, k=7)
    assert len(frame) == 7 and not set(movies) & set(frame["movie_id"]) and frame["score"].notna().all()


def test_concurrent_requests_get_full_and_correct_lists(recommender: Recommender) -> None:
    """The app shares one Recommender between sessions: eight threads asking at once get exactly
    what one thread gets (the index's k used to be overwritten between threads: short lists)."""
    users = [int(u) for u in recommender.data.users["user_id"]]
    expected = {u: list(recommender.recommend(u, k=10)["movie_id"]) for u in users}
    failures: list[str] = []

    def ask(offset: int) -> None:
        for u in users[offset:] + users[:offset]:
            got = list(recommender.recommend(u, k=10)["movie_id"])
            if got != expected[u]:
                failures.append(f"user {u}: {len(got)} movies")

    threads = [threading.Thread(target=ask, args=(i * 7,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
