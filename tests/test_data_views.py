"""data_views and embeddings on the synthetic MovieLens folder and hand-made arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recexplore.app import data_figures, data_views, movie_geometry
from recexplore.data.features import MAX_TITLE_TOKENS, Vocabularies, time_features
from recexplore.data.loading import load_movielens
from recexplore.data.movielens import GENRES, MovieLens


@pytest.fixture(scope="module")
def data(ml_folder: Path) -> MovieLens:
    return load_movielens(ml_folder)


@pytest.fixture(scope="module")
def vocab(data: MovieLens) -> Vocabularies:
    return Vocabularies.build(data)


def test_overview_counts(data: MovieLens) -> None:
    facts = data_views.overview(data)
    assert (facts["users"], facts["movies"], facts["ratings"]) == (60, 80, 1800)
    assert facts["density"] == pytest.approx(1800 / (60 * 80))
    assert 1.0 <= facts["mean_rating"] <= 5.0


def test_rating_distribution_sums_to_all_ratings(data: MovieLens) -> None:
    dist = data_views.rating_distribution(data.ratings)
    assert list(dist["stars"]) == [1, 2, 3, 4, 5]
    assert dist["ratings"].sum() == len(data.ratings)
    assert dist["share"].sum() == pytest.approx(1.0)
    assert dist.loc[dist["stars"] == 4, "ratings"].item() == int((data.ratings["user_rating"] == 4).sum())


@pytest.mark.parametrize("column", ["user_id", "movie_id"])
def test_ratings_per_is_a_sorted_long_tail(data: MovieLens, column: str) -> None:
    tail = data_views.ratings_per(data.ratings, column)
    assert tail["ratings"].sum() == len(data.ratings)
    assert list(tail["ratings"]) == sorted(tail["ratings"], reverse=True)
    assert list(tail["rank"]) == list(range(1, len(tail) + 1))
    top = tail[column].iloc[0]
    assert tail["ratings"].iloc[0] == int((data.ratings[column] == top).sum())


def test_ratings_per_rejects_other_columns(data: MovieLens) -> None:
    with pytest.raises(ValueError, match="column"):
        data_views.ratings_per(data.ratings, "timestamp")


def test_genre_counts_match_the_genre_flags(data: MovieLens) -> None:
    genres = data_views.genre_counts(data.movies, data.ratings)
    assert set(genres["genre"]) == set(GENRES) and len(genres) == len(GENRES)
    assert genres["movies"].sum() == sum(len(g) for g in data.movies["movie_genres"])
    per_movie = data.ratings.groupby("movie_id").size()
    expected = sum(
        int(per_movie.get(m, 0)) * len(g)
        for m, g in zip(data.movies["movie_id"], data.movies["movie_genres"], strict=True)
    )
    assert genres["ratings"].sum() == expected
    assert list(genres["movies"]) == sorted(genres["movies"], reverse=True)


def test_category_counts(data: MovieLens) -> None:
    genders = data_views.category_counts(data.users, "user_gender", "gender")
    assert genders["users"].sum() == 60 and set(genders["gender"]) <= {"F", "M"}
    occupations = data_views.category_counts(data.users, "user_occupation_text", "occupation")
    assert occupations["users"].sum() == 60 and len(occupations) == 5


def test_sample_is_seeded_and_capped(data: MovieLens) -> None:
    a = data_views.sample(data.ratings, 5, seed=3)
    b = data_views.sample(data.ratings, 5, seed=3)
    assert len(a) == 5 and a.equals(b)
    assert not a.equals(data_views.sample(data.ratings, 5, seed=4))
    assert len(data_views.sample(data.users, 1000, seed=0)) == 60


def test_vocabulary_tables(vocab: Vocabularies) -> None:
    sizes = data_views.vocabulary_sizes(vocab)
    assert dict(zip(sizes["feature"], sizes["table rows"], strict=True)) == vocab.sizes()
    assert sizes.set_index("feature").loc["user_id", "table rows"] == 61
    examples = data_views.vocabulary_examples(vocab, n=3)
    users = examples[examples["vocabulary"] == "user_id"]
    assert list(users["index"]) == [0, 1, 2, 3]
    assert list(users["value"]) == [data_views.OOV_LABEL, "1", "2", "3"]


def test_hour_of_day_curve_is_a_circle() -> None:
    curve = data_views.hour_of_day_curve()
    assert curve["hour"].iloc[0] == 0 and curve["hour"].iloc[-1] == 24
    assert np.allclose(curve["sin"] ** 2 + curve["cos"] ** 2, 1.0, atol=1e-6)
    six = curve.loc[curve["hour"] == 6.0]
    assert six["sin"].item() == pytest.approx(1.0, abs=1e-6) and six["cos"].item() == pytest.approx(0.0, abs=1e-6)


def test_time_encoding_rows_show_utc_time_and_features() -> None:
    import pandas as pd

    # 1970-01-05 06:00 UTC was a Monday: hour of week 6.
    ratings = pd.DataFrame({"user_id": [1], "movie_id": [2], "timestamp": [4 * 86400 + 6 * 3600]})
    row = data_views.time_encoding_rows(ratings).iloc[0]
    assert row["UTC time"] == "1970-01-05 06:00" and row["weekday"] == "Mon"
    assert row["hour of day"] == 6.0 and row["hour of week"] == 6
    assert row["hour_of_day_sin"] == pytest.approx(1.0, abs=1e-6)
    assert row["hour_of_week_sin"] == pytest.approx(time_features(np.array([4 * 86400 + 6 * 3600]))[0, 2])


def test_user_encoding_rows_cross_gender_and_age(data: MovieLens, vocab: Vocabularies) -> None:
    rows = data_views.user_encoding_rows(vocab, data.users.head(10))
    width = len(vocab.age_buckets) + 1
    assert (rows["gender_x_age index"] == rows["user_gender index"] * width + rows["age_bucket index"]).all()
    assert (rows["age_bucket index"] >= 1).all() and (rows["user_gender index"] >= 1).all()
    assert (rows["age"] >= rows["age bucket"]).all()


def test_title_token_rows(data: MovieLens, vocab: Vocabularies) -> None:
    cafe = data.movies[data.movies["movie_title"].str.startswith("Caf")]
    row = data_views.title_token_rows(vocab, cafe).iloc[0]
    assert row["tokens"] == "café | society"
    assert len(row["model input"].split(", ")) == MAX_TITLE_TOKENS
    rows = data_views.title_token_rows(vocab, data.movies.head(5))
    first = rows.iloc[0]
    ids = [int(i) for i in first["token ids"].split(", ")]
    assert len(ids) == len(first["tokens"].split(" | "))
    kept = [int(i) for i in first["model input"].split(", ") if i != "0"]
    assert kept == [i for i in ids if i > 0]


def test_catalogue_points_and_neighbour_table(data: MovieLens, vocab: Vocabularies) -> None:
    catalogue = data_views.movie_catalogue(vocab, data.movies)
    assert len(catalogue) == 80 and list(catalogue["row"]) == list(range(1, 81))
    assert list(catalogue["movie_id"]) == list(vocab.movie_ids)
    points = data_views.map_points(catalogue, np.arange(160).reshape(80, 2))
    assert points["x"].iloc[1] == 2 and points["y"].iloc[1] == 3
    with pytest.raises(ValueError, match="coords"):
        data_views.map_points(catalogue, np.zeros((79, 2)))
    table = data_views.neighbour_table(catalogue, [4, 2], [0.9, 0.5])
    assert list(table["rank"]) == [1, 2] and list(table["movie_id"]) == [5, 3]


def test_pca_of_points_on_a_line() -> None:
    t = np.linspace(-3, 3, 50)
    points = np.stack([t, 2 * t, -t], axis=1) + 5.0
    coords, explained = movie_geometry.pca(points, 2)
    assert coords.shape == (50, 2)
    assert explained[0] == pytest.approx(1.0) and explained[1] == pytest.approx(0.0, abs=1e-12)
    assert np.abs(coords[:, 0]) == pytest.approx(np.abs(t) * np.sqrt(6))
    assert coords[:, 1] == pytest.approx(np.zeros(50), abs=1e-9)


def test_pca_explained_variance_of_an_ellipse() -> None:
    rng = np.random.default_rng(0)
    points = rng.normal(size=(2000, 2)) * np.array([3.0, 1.0])
    _, explained = movie_geometry.pca(points, 2)
    assert explained.sum() == pytest.approx(1.0)
    assert explained[0] == pytest.approx(0.9, abs=0.02)


def test_pca_validates_and_pads() -> None:
    coords, explained = movie_geometry.pca(np.ones((4, 1)), 2)
    assert coords.shape == (4, 2) and explained.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="points"):
        movie_geometry.pca(np.zeros(3))
    with pytest.raises(ValueError, match="n_components"):
        movie_geometry.pca(np.zeros((3, 2)), 0)


def test_nearest_neighbours_exclude_the_query() -> None:
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0], [10.0, 0.5]])
    idx, sims = movie_geometry.nearest_neighbours(vectors, 0, 2)
    assert 0 not in idx
    assert idx.tolist() == [4, 1]  # direction, not length, counts
    assert sims[0] == pytest.approx(10 / np.hypot(10, 0.5))
    idx, sims = movie_geometry.nearest_neighbours(vectors, 0, 10)
    assert len(idx) == 4 and idx[-1] == 3 and sims[-1] == pytest.approx(-1.0)
    assert list(sims) == sorted(sims, reverse=True)
    with pytest.raises(ValueError, match="index"):
        movie_geometry.nearest_neighbours(vectors, 5, 1)
    with pytest.raises(ValueError, match="k"):
        movie_geometry.nearest_neighbours(vectors, 0, 0)


def test_cosine_similarity_of_zero_vector_is_zero() -> None:
    sims = movie_geometry.cosine_similarities(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([1.0, 0.0]))
    assert sims.tolist() == pytest.approx([0.0, 1 / np.sqrt(2)])


def test_figures_carry_the_data(data: MovieLens, vocab: Vocabularies) -> None:
    dist = data_views.rating_distribution(data.ratings)
    assert list(data_figures.rating_histogram(dist).data[0].y) == list(dist["ratings"])
    tail = data_figures.long_tail(data_views.ratings_per(data.ratings, "user_id"), "user_id", "Per user")
    assert tail.layout.yaxis.type == "log"
    genres = data_figures.genre_bars(data_views.genre_counts(data.movies, data.ratings))
    assert [t.name for t in genres.data] == ["movies", "ratings"]
    catalogue = data_views.movie_catalogue(vocab, data.movies, data.ratings)
    points = data_views.map_points(catalogue, np.random.default_rng(0).normal(size=(80, 2)))
    fig = data_figures.movie_map(points, ("PC1 (60% of variance)", "PC2"), "map", selected=0, neighbours=[1, 2])
    names = [t.name for t in fig.data]
    assert names[-2:] == ["neighbours", "chosen movie"]
    assert sum(len(t.x) for t in fig.data[:-2]) == 80
    assert "60%" in fig.layout.xaxis.title.text
    # A numeric colouring: one trace whose colours are the column's values (popularity on log10).
    fig = data_figures.movie_map(points, ("x", "y"), "map", colour="ratings", matches=[3, 4])
    assert list(fig.data[0].marker.color) == pytest.approx(np.log10(np.maximum(points["ratings"], 1)))
    assert fig.data[-1].name == "title matches" and len(fig.data[-1].x) == 2


def test_catalogue_counts_and_title_search(data: MovieLens, vocab: Vocabularies) -> None:
    catalogue = data_views.movie_catalogue(vocab, data.movies, data.ratings)
    counts = data.ratings.groupby("movie_id").size()
    assert list(catalogue["ratings"]) == [int(counts.get(m, 0)) for m in catalogue["movie_id"]]
    means = data.ratings.groupby("movie_id")["user_rating"].mean()
    rated = catalogue["movie_id"].isin(means.index)
    assert list(catalogue.loc[rated, "mean_rating"]) == pytest.approx(list(means[catalogue.loc[rated, "movie_id"]]))
    title = str(catalogue["movie_title"].iloc[5])
    found = data_views.title_matches(catalogue, title.upper()[:6])
    assert 5 in found and all(title.lower()[:6] in t.lower() for t in catalogue["movie_title"].iloc[found])
    assert len(data_views.title_matches(catalogue, "   ")) == 0
    assert len(data_views.title_matches(catalogue, ".*")) == 0  # plain text, not a pattern


def test_every_genre_has_a_family_with_its_own_colour() -> None:
    """19 genres are not distinguishable as 19 colours: 8 families (and Other) are, one colour each."""
    from recexplore.app.data_views import GENRE_FAMILIES, GENRE_FAMILY_COLORS, OTHER_FAMILY, genre_family

    assert {genre_family((g,)) for g in GENRES if g != "Unknown"} == set(GENRE_FAMILIES)
    assert genre_family(("Unknown",)) == genre_family(()) == OTHER_FAMILY
    assert genre_family(("Comedy", "Animation")) == "Family & animation"  # the most specific family wins
    assert genre_family(("Action", "Sci-Fi")) == "Sci-fi & fantasy"
    assert len(set(GENRE_FAMILY_COLORS)) == len(GENRE_FAMILIES) + 1
