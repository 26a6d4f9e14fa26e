"""Tests for recexplore.data.features: vocabularies, encoders, time features and FeatureSpace."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recexplore.data.features import (
    DENSE_FEATURES,
    GENDERS,
    MAX_TITLE_TOKENS,
    FeatureSpace,
    Vocabularies,
    lookup,
    time_features,
    title_tokens,
    user_table,
    zip_region,
)
from recexplore.data.loading import load_movielens
from recexplore.data.movielens import AGE_BUCKETS, GENRES, MovieLens
from recexplore.data.splits import make_split
from tests.synthetic import OCCUPATIONS, WORDS

HOUR = 3600
MONDAY_1970_01_05 = 4 * 86400  # the first Monday 00:00 UTC after the epoch (a Thursday)


@pytest.fixture
def ml(ml_folder: Path) -> MovieLens:
    """The synthetic data set."""
    return load_movielens(ml_folder, download=False)


@pytest.fixture
def vocab(ml: MovieLens) -> Vocabularies:
    """Vocabularies over the synthetic catalogue."""
    return Vocabularies.build(ml)


@pytest.fixture
def space(vocab: Vocabularies, ml: MovieLens) -> FeatureSpace:
    """The encoded feature tables."""
    return FeatureSpace(vocab, ml)


# ---------------------------------------------------------------- vocabularies


def test_vocabularies_build(vocab: Vocabularies, ml: MovieLens) -> None:
    """Sorted ids and categories; title tokens are those seen at least twice."""
    assert vocab.user_ids == tuple(range(1, 61))
    assert vocab.movie_ids == tuple(range(1, 81))
    assert vocab.occupations == tuple(sorted(OCCUPATIONS))
    assert vocab.zip_regions == tuple(sorted({z[:3] for z in ml.users["user_zip_code"]}))
    # numbers, "caf" and "society" appear once each; every synthetic word appears often
    assert vocab.title_tokens == tuple(sorted(WORDS))
    assert vocab.genres == GENRES and vocab.genders == GENDERS and vocab.age_buckets == AGE_BUCKETS
    assert all(isinstance(u, int) for u in vocab.user_ids + vocab.movie_ids)


def test_vocabularies_sorted_for_shuffled_input(ml: MovieLens) -> None:
    """Vocabularies do not depend on row order of the frames."""
    shuffled = dataclasses.replace(
        ml,
        users=ml.users.sample(frac=1.0, random_state=1).reset_index(drop=True),
        movies=ml.movies.sample(frac=1.0, random_state=2).reset_index(drop=True),
    )
    assert Vocabularies.build(shuffled) == Vocabularies.build(ml)


def test_vocabularies_min_token_count(ml: MovieLens) -> None:
    """min_token_count=1 keeps rare tokens too."""
    tokens = Vocabularies.build(ml, min_token_count=1).title_tokens
    assert {"society", "café", "0", "79"} <= set(tokens)
    assert list(tokens) == sorted(tokens)


def test_vocabularies_round_trip(vocab: Vocabularies) -> None:
    """to_dict is JSON-ready and from_dict inverts it."""
    payload = json.loads(json.dumps(vocab.to_dict()))
    assert Vocabularies.from_dict(payload) == vocab
    assert payload["user_ids"][:3] == [1, 2, 3]


def test_vocabulary_sizes(vocab: Vocabularies) -> None:
    """Table sizes are vocabulary + 1 OOV row (genres are a multi-hot, no OOV)."""
    assert vocab.sizes() == {
        "user_id": 61,
        "movie_id": 81,
        "user_occupation": len(OCCUPATIONS) + 1,
        "user_zip": len(vocab.zip_regions) + 1,
        "title_token": len(WORDS) + 1,
        "user_gender": 3,
        "age_bucket": 8,
        "gender_x_age": 24,
        "genre": 19,
    }


def test_lookup() -> None:
    """1-based indices, 0 for unknown values, int32."""
    out = lookup(("a", "b", "c"), ["b", "zz", "a", "c"])
    assert out.tolist() == [2, 0, 1, 3]
    assert out.dtype == np.int32
    assert lookup((10, 20, 30), np.array([30, 5, 10])).tolist() == [3, 0, 1]
    assert lookup((10, 20), pd.Series([20, 20])).tolist() == [2, 2]
    assert lookup((1, 2), []).tolist() == []


# ---------------------------------------------------------------- text features


@pytest.mark.parametrize(
    ("title", "tokens"),
    [
        ("Night Love (1995)", ["night", "love"]),
        ("Blue City 2 (1997) ", ["blue", "city", "2"]),
        ("Dark Return 1999 (2003)", ["dark", "return", "1999"]),
        ("KING's Game, The (1990)", ["king's", "game", "the"]),
        ("Story: Part (II) (1994)", ["story", "part", "ii"]),
        ("No Year Here", ["no", "year", "here"]),
        ("", []),
    ],
)
def test_title_tokens(title: str, tokens: list[str]) -> None:
    """Lower-cased tokens, only the trailing (year) removed."""
    assert title_tokens(title) == tokens


def test_title_tokens_keep_accented_letters() -> None:
    """Latin-1 titles keep their accented words whole."""
    assert title_tokens("Café Society (1993)") == ["café", "society"]


@pytest.mark.parametrize(
    ("code", "region"), [("85711", "857"), ("t8h1n", "T8H"), ("V3N4P", "V3N"), ("12", "12"), ("01002", "010")]
)
def test_zip_region(code: str, region: str) -> None:
    """First three characters, upper-cased (leading zeros kept)."""
    assert zip_region(code) == region


# ---------------------------------------------------------------- time features


def test_time_features_hour_of_day() -> None:
    """Hour-of-day encodings for known UTC times."""
    feats = time_features(np.array([0, 6 * HOUR, 12 * HOUR, 18 * HOUR, 86400 + 6 * HOUR]))
    assert feats.shape == (5, 4) and feats.dtype == np.float32
    np.testing.assert_allclose(feats[:, 0], [0, 1, 0, -1, 1], atol=1e-6)
    np.testing.assert_allclose(feats[:, 1], [1, 0, -1, 0, 0], atol=1e-6)
    # the half-hour lands between the hours
    half = time_features(np.array([90 * 60]))[0]
    np.testing.assert_allclose(half[:2], [np.sin(2 * np.pi * 1.5 / 24), np.cos(2 * np.pi * 1.5 / 24)], atol=1e-6)


def test_time_features_hour_of_week_cycle() -> None:
    """Hour-of-week repeats every week and is opposite half a week later."""
    base = np.array([0, 5 * HOUR, 874724710])
    week = time_features(base)[:, 2:]
    np.testing.assert_allclose(time_features(base + 168 * HOUR)[:, 2:], week, atol=1e-5)
    np.testing.assert_allclose(time_features(base + 84 * HOUR)[:, 2:], -week, atol=1e-5)
    np.testing.assert_allclose((week**2).sum(axis=1), 1.0, atol=1e-5)
    # one hour moves the week angle by 2*pi/168
    a, b = time_features(np.array([0, HOUR]))[:, 2:]
    assert np.isclose(np.arctan2(b[0], b[1]) - np.arctan2(a[0], a[1]), 2 * np.pi / 168, atol=1e-5)


def test_time_features_hour_of_week_monday_is_zero() -> None:
    """Hour-of-week 0 is Monday 00:00 UTC; the epoch (Thursday 00:00) is hour 72."""
    feats = time_features(np.array([MONDAY_1970_01_05, 0, MONDAY_1970_01_05 + 7 * 86400 + 6 * 24 * HOUR]))
    thursday = 2 * np.pi * 72 / 168
    sunday = 2 * np.pi * 144 / 168
    np.testing.assert_allclose(feats[0, 2:], [0, 1], atol=1e-6)
    np.testing.assert_allclose(feats[1, 2:], [np.sin(thursday), np.cos(thursday)], atol=1e-6)
    np.testing.assert_allclose(feats[2, 2:], [np.sin(sunday), np.cos(sunday)], atol=1e-6)


# ---------------------------------------------------------------- feature space


def test_feature_space_oov_row(space: FeatureSpace) -> None:
    """Row 0 of every table is all zeros; tables have vocabulary + 1 rows."""
    assert space.n_users == 61 and space.n_movies == 81
    for table, n in ((space.users, 61), (space.movies, 81)):
        for key, values in table.items():
            assert len(values) == n, key
            assert not np.any(values[0]), key


def test_feature_space_user_rows(space: FeatureSpace, vocab: Vocabularies, ml: MovieLens) -> None:
    """Row i of the user tables encodes vocabulary user i."""
    users = ml.users.set_index("user_id")
    for user_id in (1, 3, 37, 60):
        row = space.user_index([user_id])[0]
        assert vocab.user_ids[row - 1] == user_id
        u = users.loc[user_id]
        assert space.users["user_id"][row] == row
        assert space.users["user_gender"][row] == GENDERS.index(u["user_gender"]) + 1
        assert space.users["user_occupation"][row] == sorted(OCCUPATIONS).index(u["user_occupation_text"]) + 1
        assert space.users["age_bucket"][row] == AGE_BUCKETS.index(int(u["bucketized_user_age"])) + 1
        assert space.users["user_zip"][row] == vocab.zip_regions.index(u["user_zip_code"][:3]) + 1
        assert np.isclose(space.users["raw_user_age"][row], (u["raw_user_age"] - 33.0) / 12.0)
    # user 3 is a female writer in the synthetic data
    row = space.user_index([3])[0]
    assert space.users["user_gender"][row] == 1
    assert space.users["user_occupation"][row] == 5


def test_feature_space_follows_vocabulary_order(vocab: Vocabularies, ml: MovieLens) -> None:
    """With a subset vocabulary and shuffled frames, row i is still vocabulary entry i."""
    subset = dataclasses.replace(vocab, user_ids=(5, 17, 42, 999), movie_ids=(4, 2))
    shuffled = dataclasses.replace(ml, users=ml.users.iloc[::-1].reset_index(drop=True))
    space = FeatureSpace(subset, shuffled)
    users = ml.users.set_index("user_id")
    assert space.n_users == 5 and space.n_movies == 3
    for row, user_id in enumerate((5, 17, 42), start=1):
        assert space.users["user_gender"][row] == GENDERS.index(users.loc[user_id, "user_gender"]) + 1
        assert (
            space.users["user_occupation"][row]
            == sorted(OCCUPATIONS).index(users.loc[user_id, "user_occupation_text"]) + 1
        )
    # a vocabulary user missing from the frames is encoded as unknown everywhere
    assert space.users["user_gender"][4] == 0 and space.users["user_occupation"][4] == 0
    assert space.users["age_bucket"][4] == 0 and space.users["gender_x_age"][4] == 0
    assert space.user_index([42, 3, 999]).tolist() == [3, 0, 4]
    assert space.movie_index([2, 4, 1]).tolist() == [2, 1, 0]


def test_feature_space_movie_rows(space: FeatureSpace, vocab: Vocabularies, ml: MovieLens) -> None:
    """Movie rows carry id index, known title tokens and the genre multi-hot."""
    movies = ml.movies.set_index("movie_id")
    for movie_id in (1, 2, 4, 80):
        row = space.movie_index([movie_id])[0]
        assert space.movies["movie_id"][row] == row
        genres = space.movies["genres"][row]
        assert genres.dtype == np.float32
        assert [GENRES[i] for i in np.flatnonzero(genres)] == list(movies.loc[movie_id, "movie_genres"])
        tokens = space.movies["title_tokens"][row]
        assert tokens.shape == (MAX_TITLE_TOKENS,)
        known = [
            vocab.title_tokens.index(t) + 1
            for t in title_tokens(movies.loc[movie_id, "movie_title"])
            if t in vocab.title_tokens
        ]
        assert tokens.tolist() == known + [0] * (MAX_TITLE_TOKENS - len(known))
    # "Night Night 0": the repeated word appears twice, the number is not in the vocabulary
    night = vocab.title_tokens.index("night") + 1
    assert space.movies["title_tokens"][1].tolist()[:3] == [night, night, 0]
    # "Café Society": no known tokens at all
    assert not space.movies["title_tokens"][4].any()


def test_gender_x_age_unique_per_pair(vocab: Vocabularies) -> None:
    """Each (gender, age bucket) pair, unknowns included, gets its own cross index."""
    rows = [(g, b) for g in ("F", "M", "?") for b in (*AGE_BUCKETS, 0)]
    frame = pd.DataFrame(
        {
            "user_id": np.arange(1, len(rows) + 1),
            "user_gender": [g for g, _ in rows],
            "bucketized_user_age": np.array([b for _, b in rows], dtype=np.float32),
            "raw_user_age": np.full(len(rows), 30.0, dtype=np.float32),
            "user_occupation_text": "engineer",
            "user_zip_code": "10000",
        }
    )
    cross = user_table(vocab, frame)["gender_x_age"]
    assert len(set(cross.tolist())) == len(rows) == 24
    assert cross.min() >= 0 and cross.max() < vocab.sizes()["gender_x_age"]
    unknown = cross[[i for i, (g, b) in enumerate(rows) if g == "?" and b == 0]]
    assert unknown.tolist() == [0]


def test_query_and_candidate_features(space: FeatureSpace) -> None:
    """Two-tower inputs are rows of the tables."""
    idx = np.array([3, 0, 60])
    query = space.query_features(idx)
    assert set(query) == {"user_id", "user_gender", "age_bucket", "gender_x_age", "user_occupation"}
    assert query["user_id"].tolist() == [3, 0, 60]
    everything = space.candidate_features()
    assert everything["movie_id"].tolist() == list(range(81))
    picked = space.candidate_features(np.array([4, 1]))
    assert picked["genres"].shape == (2, 19)
    np.testing.assert_array_equal(picked["title_tokens"], space.movies["title_tokens"][[4, 1]])


def test_dlrm_features(space: FeatureSpace, ml: MovieLens) -> None:
    """DLRM inputs: int32 indices, (n, 19) genres, (n, 5) float32 dense."""
    test = make_split(ml, seed=0).test
    n = len(test)
    feats = space.dlrm_features(test)
    assert set(feats) == {
        "user_id",
        "movie_id",
        "user_gender",
        "user_zip",
        "user_occupation",
        "age_bucket",
        "genres",
        "dense",
    }
    for key in ("user_id", "movie_id", "user_gender", "user_zip", "user_occupation", "age_bucket"):
        assert feats[key].shape == (n,) and feats[key].dtype == np.int32, key
    assert feats["genres"].shape == (n, len(GENRES)) and feats["genres"].dtype == np.float32
    assert feats["dense"].shape == (n, len(DENSE_FEATURES)) and feats["dense"].dtype == np.float32
    np.testing.assert_array_equal(feats["user_id"], test["user_id"].to_numpy())  # ids 1..60 map to themselves
    np.testing.assert_allclose(feats["dense"][:, 1:], time_features(test["timestamp"].to_numpy()), atol=1e-6)
    ages = ml.users.set_index("user_id").loc[test["user_id"], "raw_user_age"].to_numpy()
    np.testing.assert_allclose(feats["dense"][:, 0], (ages - 33.0) / 12.0, atol=1e-6)
    np.testing.assert_array_equal(feats["user_gender"], space.users["user_gender"][feats["user_id"]])
    np.testing.assert_array_equal(feats["genres"], space.movies["genres"][feats["movie_id"]])


def test_dlrm_features_unknown_ids(space: FeatureSpace) -> None:
    """Unknown users and movies encode as the OOV row."""
    frame = pd.DataFrame({"user_id": [999, 2], "movie_id": [1, 5000], "timestamp": [0, 6 * HOUR]})
    feats = space.dlrm_features(frame)
    assert feats["user_id"].tolist() == [0, 2]
    assert feats["movie_id"].tolist() == [1, 0]
    assert feats["user_gender"][0] == 0 and feats["user_occupation"][0] == 0
    assert not feats["genres"][1].any()
    assert feats["dense"][0, 0] == 0.0  # the OOV row's age


def test_interaction_matrix(space: FeatureSpace) -> None:
    """Exactly the given known (user, movie) pairs are marked; unknowns are dropped."""
    pairs = pd.DataFrame(
        {"user_id": [1, 1, 7, 60, 60, 999, 3], "movie_id": [2, 80, 2, 1, 1, 3, 5000], "user_rating": 4.0}
    )
    matrix = space.interaction_matrix(pairs)
    assert matrix.shape == (61, 81) and matrix.dtype == np.int8
    expected = np.zeros((61, 81), dtype=np.int8)
    expected[[1, 1, 7, 60], [2, 80, 2, 1]] = 1
    np.testing.assert_array_equal(matrix, expected)


def test_interaction_matrix_full_train(space: FeatureSpace, ml: MovieLens) -> None:
    """On real ratings the matrix has one mark per distinct pair."""
    matrix = space.interaction_matrix(ml.ratings)
    assert matrix.sum() == len(ml.ratings.drop_duplicates(["user_id", "movie_id"]))
    first = ml.ratings.iloc[0]
    assert matrix[int(first["user_id"]), int(first["movie_id"])] == 1
