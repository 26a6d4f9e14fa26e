"""Sampled against full ranking (issue 35): the draw, the formula, the bound, the comparison."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from scipy import sparse

from recexplore.config.metrics import label, metric
from recexplore.evaluation.accuracy import hits_and_sampled, hits_at, retrieval_report
from recexplore.evaluation.sampled import (
    DEFAULT_SAMPLINGS,
    N_KEY,
    Negatives,
    Sampling,
    hit_and_ndcg,
    negatives_for,
    sampled_rank,
)
from recexplore.evaluation.sampled_comparison import Scored, compare, full_reading, merged, paper_sentence


def _world(seed: int = 0, users: int = 40, movies: int = 300, per_user: int = 120) -> tuple:
    """A sparse training matrix and test pairs where every user holds many test movies: a draw
    that forgot the test part would meet them often."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, movies) ** 0.7
    rows, cols = [], []
    for u in range(1, users):
        picked = rng.choice(np.arange(1, movies), size=per_user, replace=False, p=weights / weights.sum())
        rows += [u] * per_user
        cols += list(picked)
    rows, cols = np.array(rows), np.array(cols)
    test = rng.random(len(rows)) < 0.5
    train = sparse.csr_matrix((np.ones((~test).sum()), (rows[~test], cols[~test])), shape=(users, movies))
    return train, rows[test], cols[test], set(zip(rows.tolist(), cols.tolist(), strict=True))


def test_the_formula_on_a_hand_computed_case() -> None:
    # One user (row 1), movies 1..6: movie 1 rated in training, movie 2 held out. The unrated
    # movies are 3..6, so N = 4 samples all of them and the rank is fixed by hand: 0.9 and 0.7
    # beat 0.5 (2), movie 4 ties it (a half), movie 5 is below: rank 2.5.
    scores = np.array([[0, 0, 0, 0, 0, 0, 0], [0, 0.8, 0.5, 0.9, 0.5, 0.1, 0.7]])
    train = np.array([[0] * 7, [0, 1, 0, 0, 0, 0, 0]])
    users, items = np.array([1]), np.array([2])
    negatives = negatives_for((Sampling(n=4),), train, users, items)
    assert sorted(negatives[0].draw(users, items)[0]) == [3, 4, 5, 6]
    hits, (ranks,) = hits_and_sampled(scores, users, items, train, (10,), negatives)
    assert ranks.tolist() == [2.5]
    assert hits[10].tolist() == [True]
    hit, ndcg = hit_and_ndcg(ranks)
    assert hit.tolist() == [True] and ndcg[0] == pytest.approx(1 / math.log2(4.5))
    # with k = 2 the same case is a miss (rank 2.5 is not below 2)
    assert hit_and_ndcg(ranks, k=2)[0].tolist() == [False]
    assert sampled_rank(np.array([1.0, 1.0]), np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 0.0]])).tolist() == [1.5, 0.0]


def test_the_report_reads_the_same_rows_for_every_kind_and_scorer() -> None:
    # popularity sampling: movie 5 was never rated in training, so it is never drawn and user 1
    # has 3 movies left to draw (3, 4, 6): N = 3 is allowed, N = 4 is refused
    scores = np.array([[0] * 7, [0, 0.8, 0.5, 0.9, 0.5, 0.1, 0.7], [0] * 7])
    train = np.array([[0] * 7, [0, 1, 0, 0, 0, 0, 0], [0, 0, 1, 1, 1, 0, 1]])
    users, items = np.array([1]), np.array([2])
    report = retrieval_report(scores, train, users, items, np.array([5]), (Sampling(n=3, kind="popularity"),))
    assert report["sampled_pop_hit_rate_at_10"] == 1.0
    assert report["sampled_pop_ndcg_at_10"] == pytest.approx(1 / math.log2(4.5))  # 3 sampled: 0.9, 0.5, 0.7
    assert report[N_KEY] == 3.0
    assert "popularity_sampled_pop_hit_rate_at_10" in report
    with pytest.raises(
        ValueError, match="sampled N=4 is more than the 3 unrated movies rated in training of user row 1"
    ):
        retrieval_report(scores, train, users, items, np.array([5]), (Sampling(n=4, kind="popularity"),))


def test_the_draw_is_seeded_and_its_own_per_case() -> None:
    train, users, items, _ = _world()
    draw = Negatives.of(Sampling(n=20), train, users, items).draw(users, items)
    again = Negatives.of(Sampling(n=20), train, users, items).draw(users, items)
    backwards = Negatives.of(Sampling(n=20), train, users, items).draw(users[::-1], items[::-1])[::-1]
    other = Negatives.of(Sampling(n=20, seed=7), train, users, items).draw(users, items)
    assert np.array_equal(draw, again) and np.array_equal(draw, backwards)
    assert np.mean(draw != other) > 0.8  # another seed: other movies
    assert all(len(set(row)) == 20 for row in draw)  # without replacement


@pytest.mark.parametrize("kind", ["uniform", "popularity"])
def test_never_draws_a_movie_the_user_rated(kind: str) -> None:
    train, users, items, rated = _world(seed=1)
    draw = Negatives.of(Sampling(n=60, kind=kind), train, users, items).draw(users, items)
    met = [(u, m) for u, row in zip(users.tolist(), draw.tolist(), strict=True) for m in row if (u, m) in rated]
    assert met == []
    assert (draw > 0).all()  # never the OOV column


def test_popularity_sampling_follows_popularity() -> None:
    # one test case per user on a 200-movie catalogue: movie m has training count m % 10 (0: never drawn)
    movies = 201
    counts = np.arange(movies) % 10
    counts[0] = 0
    train = sparse.csr_matrix(np.vstack([np.zeros(movies), counts.reshape(1, -1)] + [np.zeros(movies)] * 3000))
    users = np.arange(2, 3002)
    items = np.full(len(users), 1)  # movie 1 held out (count 1)
    draw = Negatives.of(Sampling(n=5, kind="popularity"), train, users, items).draw(users, items)
    freq = np.bincount(draw.reshape(-1), minlength=movies)
    assert freq[counts == 0].sum() == 0
    per_count = np.array([freq[(counts == c) & (np.arange(movies) != 1)].mean() for c in range(1, 10)])
    assert np.corrcoef(per_count, np.arange(1, 10))[0, 1] > 0.97
    assert per_count[-1] > 5 * per_count[0]
    uniform = Negatives.of(Sampling(n=5), train, users, items).draw(users, items)
    flat = np.bincount(uniform.reshape(-1), minlength=movies)[2:]
    assert flat.max() < 2 * flat.mean()


def test_hostile_settings_get_one_line() -> None:
    train, users, items, _ = _world()
    for bad, words in ((0, "sampled N must be an integer from 1"), (2.5, "sampled N must be")):
        with pytest.raises(ValueError, match=words) as err:
            Sampling(n=bad)
        assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="sampling must be one of uniform, popularity, got 'zipf'"):
        Sampling(kind="zipf")
    with pytest.raises(ValueError, match=r"choose N from 1 to \d+") as err:
        Negatives.of(Sampling(n=250), train, users, items)
    assert "\n" not in str(err.value)
    # the defaults every result carries are lowered to what the split allows instead (29 movies left at most)
    small = _world(movies=150)
    found = negatives_for(DEFAULT_SAMPLINGS, *small[:3])
    assert 1 <= found[0].n <= 29 and found[0].n == found[1].n


def test_sampled_ranks_agree_with_full_ranks_when_every_unrated_movie_is_drawn() -> None:
    train, users, items, rated = _world(seed=2, users=12, movies=60, per_user=20)
    scores = np.random.default_rng(3).normal(size=train.shape)
    fewest = min(59 - sum(1 for r in rated if r[0] == u) for u in set(users.tolist()))
    negatives = negatives_for((Sampling(n=fewest),), train, users, items)
    hits, (ranks,) = hits_and_sampled(scores, users, items, train, (10,), negatives)
    assert np.array_equal(hits[10], hits_at(scores, users, items, exclude=train, ks=(10,))[10])
    # a user with exactly `fewest` movies left: all drawn, so the sampled rank is the full rank among them
    for p in range(len(users)):
        u = users[p]
        unrated = [m for m in range(1, 60) if (u, m) not in rated]
        if len(unrated) == fewest:
            assert ranks[p] == np.sum(scores[u, unrated] > scores[u, items[p]])


def test_comparison_on_a_hand_built_case() -> None:
    rows = [Scored("a", 0.30, 0.70), Scored("b", 0.20, 0.80), Scored("c", 0.10, 0.50), Scored("d", 0.05, 0.40)]
    found = compare(rows)
    assert found.full_order == ("a", "b", "c", "d") and found.sampled_order == ("b", "a", "c", "d")
    assert found.swaps == (("a", "b"),)
    assert found.tau == pytest.approx((5 - 1) / 6)  # 5 concordant, 1 discordant pair
    assert rows[0].inflation == pytest.approx(0.70 / 0.30) and Scored("z", 0.0, 0.1).inflation == math.inf
    assert full_reading(rows, 0.75) == (pytest.approx(0.25), False)  # halfway between a and b
    reading, beyond = full_reading(rows, 0.95)
    assert beyond and 0.0 <= reading <= 1.0
    assert "is about" in paper_sentence(rows) and "rough" in paper_sentence(rows)
    assert full_reading(rows[:1], 0.5) is None
    assert [r.name for r in merged([*rows, Scored("a", 0.9, 0.9)])] == ["a", "b", "c", "d"]


def test_every_sampled_key_is_in_the_metric_table() -> None:
    for sampling in DEFAULT_SAMPLINGS:
        for key in sampling.keys:
            assert metric(key) is not None and metric("transition_" + key) is not None
    assert label("ease_sampled_hit_rate_at_10") == "EASE: Sampled hit rate@10 (uniform)"
    assert metric(N_KEY).higher_is_better is None


SAMPLED_KEYS = [key for sampling in DEFAULT_SAMPLINGS for key in sampling.keys]


@pytest.mark.parametrize(
    ("argv", "full_key", "peers"),
    [
        (["towers", "--layers", "8", "--batch-size", "256"], "hit_rate_at_10", ("popularity_", "ease_")),
        (
            ["sequential", "--preset", "gru", "--max-len", "6"],
            "next_hit_rate_at_10",
            ("popularity_", "transition_", "ease_"),
        ),
    ],
    ids=["towers", "sequential"],
)
def test_train_json_carries_sampled_beside_full(
    argv: list[str], full_key: str, peers: tuple[str, ...], ml_folder: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from recexplore.cli.main import main

    base = ["train", argv[0], "--data", str(ml_folder), "--epochs", "1", "--embedding-dim", "8", *argv[1:]]
    assert main([*base, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # 80 synthetic movies: N is lowered from 100 to what every test user has left, and said so
    assert 1 <= payload[N_KEY] < 80
    for prefix in ("", *peers):
        for key in SAMPLED_KEYS:
            assert 0.0 <= payload[prefix + key] <= 1.0, prefix + key
        assert payload[prefix + "sampled_ndcg_at_10"] <= payload[prefix + "sampled_hit_rate_at_10"]
    # fewer movies to beat: the model's sampled hit rate is never below its full one (its scores do not tie)
    assert payload["sampled_hit_rate_at_10"] >= payload[full_key]
