"""Tables behind the Data and Movie map pages: summaries of MovieLens and its encoded features."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from recexplore.data.features import MAX_TITLE_TOKENS, Vocabularies, lookup, time_features, title_tokens, user_table
from recexplore.data.movielens import GENRES, MovieLens

OOV_LABEL = "(out of vocabulary)"
NO_GENRE = "(none)"
# The 19 MovieLens genres in 8 families, most specific first: a movie takes the first family
# any of its genres belongs to (so an animated comedy is family, a sci-fi action film sci-fi).
# Eight colours stay distinguishable on a map (19 did not); GENRE_FAMILY_COLORS is Okabe-Ito.
GENRE_FAMILIES: dict[str, tuple[str, ...]] = {
    "Family & animation": ("Animation", "Children", "Musical"),
    "Documentary": ("Documentary",),
    "Sci-fi & fantasy": ("Sci-Fi", "Fantasy"),
    "Horror & thriller": ("Horror", "Thriller", "Mystery", "Film-Noir", "Crime"),
    "Action & war": ("Action", "Adventure", "War", "Western"),
    "Romance": ("Romance",),
    "Comedy": ("Comedy",),
    "Drama": ("Drama",),
}
OTHER_FAMILY = "Other"
GENRE_FAMILY_COLORS = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#D55E00",
    "#0072B2",
    "#CC79A7",
    "#F0E442",
    "#000000",
    "#999999",
)


def genre_family(genres: Sequence[str]) -> str:
    """The family (`GENRE_FAMILIES`) of a movie's genres; OTHER_FAMILY when none matches."""
    present = set(genres)
    return next((family for family, members in GENRE_FAMILIES.items() if present & set(members)), OTHER_FAMILY)


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# ---------------------------------------------------------------- data at a glance


def overview(data: MovieLens) -> dict[str, float]:
    """Headline numbers: users, movies, ratings, density (share of user x movie cells rated), mean stars,
    the years the ratings span and whether they use half stars."""
    n_users, n_movies, n_ratings = len(data.users), len(data.movies), len(data.ratings)
    cells = n_users * n_movies
    return {
        "users": n_users,
        "movies": n_movies,
        "ratings": n_ratings,
        "density": n_ratings / cells if cells else 0.0,
        "mean_rating": float(data.ratings["user_rating"].mean()) if n_ratings else 0.0,
        "first_year": _year(data.ratings["timestamp"].min()) if n_ratings else 0,
        "last_year": _year(data.ratings["timestamp"].max()) if n_ratings else 0,
        "half_stars": bool((data.ratings["user_rating"] % 1 != 0).any()),
    }


def _year(timestamp: int) -> int:
    return int(pd.Timestamp(int(timestamp), unit="s").year)


def introduction(data: MovieLens, facts: dict[str, float]) -> str:
    """The Data page's first sentence: which data set, how big, which stars and years, and which
    user features it lacks."""
    stars = "half stars from 0.5 to 5" if facts["half_stars"] else "1 to 5 stars"
    years = f"{facts['first_year']}" + (f"-{facts['last_year']}" if facts["last_year"] != facts["first_year"] else "")
    text = (
        f"{data.source.title}: {facts['users']:,} users rated {facts['movies']:,} movies with {stars} "
        f"({facts['ratings']:,} ratings, {years})."
    )
    if data.missing_features:
        text += f" It has no user demographics ({', '.join(data.missing_features)}): the models read them as unknown."
    return text


def rating_distribution(ratings: pd.DataFrame) -> pd.DataFrame:
    """How many ratings gave 1..5 stars.

    Args:
        ratings: frame with a `user_rating` column.

    Returns:
        Columns stars (1..5, all present) and ratings (count), and share (of all ratings).
    """
    stars = ratings["user_rating"].to_numpy(np.float64)
    half = bool(np.any(stars != np.round(stars)))
    values = np.arange(0.5 if half else 1.0, 5.01, 0.5 if half else 1.0)
    counts = pd.Series(stars).value_counts().reindex(values, fill_value=0)
    total = int(counts.sum())
    return pd.DataFrame(
        {
            "stars": values if half else values.astype(int),
            "ratings": counts.to_numpy(dtype=np.int64),
            "share": counts.to_numpy(dtype=np.float64) / total if total else np.zeros(len(values)),
        }
    )


def ratings_per(ratings: pd.DataFrame, column: str) -> pd.DataFrame:
    """Ratings per user or per movie, sorted descending (the long tail).

    Args:
        ratings: the ratings frame.
        column: 'user_id' or 'movie_id'.

    Returns:
        Columns rank (1 = most ratings), the id column, and ratings.

    Raises:
        ValueError: column is not a ratings column.
    """
    if column not in ("user_id", "movie_id"):
        raise ValueError(f"column must be 'user_id' or 'movie_id', got {column!r}")
    counts = ratings.groupby(column).size().sort_values(ascending=False, kind="stable")
    return pd.DataFrame(
        {"rank": np.arange(1, len(counts) + 1), column: counts.index.to_numpy(), "ratings": counts.to_numpy()}
    )


def genre_counts(movies: pd.DataFrame, ratings: pd.DataFrame, genres: tuple[str, ...] = GENRES) -> pd.DataFrame:
    """Movies and ratings per genre (a movie with several genres counts once for each).

    Returns:
        Columns genre, movies, ratings; every genre of `genres` (the data set's), most movies first.
    """
    per_movie = ratings.groupby("movie_id").size()
    exploded = movies[["movie_id", "movie_genres"]].explode("movie_genres").dropna(subset=["movie_genres"])
    exploded["ratings"] = exploded["movie_id"].map(per_movie).fillna(0).astype(np.int64)
    grouped = exploded.groupby("movie_genres").agg(movies=("movie_id", "size"), ratings=("ratings", "sum"))
    grouped = grouped.reindex(list(genres), fill_value=0)
    out = grouped.rename_axis("genre").reset_index()
    out[["movies", "ratings"]] = out[["movies", "ratings"]].astype(np.int64)
    return out.sort_values(["movies", "ratings"], ascending=False, kind="stable").reset_index(drop=True)


def category_counts(users: pd.DataFrame, column: str, label: str) -> pd.DataFrame:
    """Users per value of a categorical user column, most common first.

    Args:
        users: the users frame.
        column: e.g. 'user_gender' or 'user_occupation_text'.
        label: name of the value column in the result.

    Returns:
        Columns `label` and users.
    """
    counts = users[column].value_counts(sort=False).sort_values(ascending=False, kind="stable")
    return pd.DataFrame({label: counts.index.to_numpy(), "users": counts.to_numpy()})


def sample(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """A seeded sample of at most n rows, in the frame's order."""
    n = max(0, min(int(n), len(frame)))
    return frame.sample(n=n, random_state=seed).sort_index().reset_index(drop=True)


# ---------------------------------------------------------------- feature preprocessing


def vocabulary_sizes(vocab: Vocabularies) -> pd.DataFrame:
    """Embedding-table sizes (vocabulary + the OOV row at index 0) as a table."""
    notes = {
        "genre": "multi-hot vector, no OOV row",
        "gender_x_age": "(genders + 1) x (age buckets + 1) crossed cells",
    }
    return pd.DataFrame(
        [
            {"feature": k, "table rows": v, "note": notes.get(k, "index 0 = out of vocabulary")}
            for k, v in vocab.sizes().items()
        ]
    )


def vocabulary_examples(vocab: Vocabularies, n: int = 4) -> pd.DataFrame:
    """The first entries of each categorical vocabulary with their indices (0 = OOV).

    Args:
        vocab: the vocabularies.
        n: entries shown per vocabulary after the OOV row.

    Returns:
        Columns vocabulary, index, value.
    """
    named = {
        "user_id": vocab.user_ids,
        "movie_id": vocab.movie_ids,
        "user_occupation": vocab.occupations,
        "user_zip": vocab.zip_regions,
        "title_token": vocab.title_tokens,
        "user_gender": vocab.genders,
        "age_bucket": vocab.age_buckets,
    }
    rows = []
    for name, values in named.items():
        rows.append({"vocabulary": name, "index": 0, "value": OOV_LABEL})
        rows += [{"vocabulary": name, "index": i + 1, "value": str(v)} for i, v in enumerate(values[:n])]
    return pd.DataFrame(rows)


def hour_of_day_curve(points: int = 97) -> pd.DataFrame:
    """sin/cos of the hour of day over one day, as `time_features` encodes it.

    Returns:
        Columns hour (0..24), sin, cos.
    """
    hours = np.linspace(0.0, 24.0, points)
    encoded = time_features(np.round(hours * 3600).astype(np.int64))
    return pd.DataFrame({"hour": hours, "sin": encoded[:, 0], "cos": encoded[:, 1]})


def time_encoding_rows(ratings: pd.DataFrame) -> pd.DataFrame:
    """The cyclic time features of some ratings, beside their UTC date and time.

    Args:
        ratings: rating rows (user_id, movie_id, timestamp).

    Returns:
        Columns user_id, movie_id, timestamp, UTC time, weekday, hour of day, hour of week,
        and the four encoded values (hour_of_day_sin/cos, hour_of_week_sin/cos).
    """
    ts = ratings["timestamp"].to_numpy(dtype=np.int64)
    when = pd.to_datetime(ts, unit="s", utc=True)
    encoded = time_features(ts)
    return pd.DataFrame(
        {
            "user_id": ratings["user_id"].to_numpy(),
            "movie_id": ratings["movie_id"].to_numpy(),
            "timestamp": ts,
            "UTC time": when.strftime("%Y-%m-%d %H:%M"),
            "weekday": [WEEKDAYS[d] for d in when.dayofweek],
            "hour of day": np.round((ts % 86400) / 3600.0, 2),
            "hour of week": ((ts // 3600) + 72) % 168,
            "hour_of_day_sin": encoded[:, 0],
            "hour_of_day_cos": encoded[:, 1],
            "hour_of_week_sin": encoded[:, 2],
            "hour_of_week_cos": encoded[:, 3],
        }
    )


def user_encoding_rows(vocab: Vocabularies, users: pd.DataFrame) -> pd.DataFrame:
    """Age bucket, gender and their cross index for some users, as the query tower sees them.

    Returns:
        Columns user_id, age, age bucket, gender, occupation and their vocabulary indices,
        gender_x_age = gender index x (age buckets + 1) + age bucket index, and the scaled age.
    """
    enc = user_table(vocab, users)
    return pd.DataFrame(
        {
            "user_id": users["user_id"].to_numpy(),
            "age": users["raw_user_age"].round().astype("Int64").to_numpy(),
            "age bucket": users["bucketized_user_age"].to_numpy().astype(int),
            "age_bucket index": enc["age_bucket"],
            "gender": users["user_gender"].to_numpy(),
            "user_gender index": enc["user_gender"],
            "gender_x_age index": enc["gender_x_age"],
            "occupation": users["user_occupation_text"].to_numpy(),
            "user_occupation index": enc["user_occupation"],
            "raw_user_age (scaled)": np.round(enc["raw_user_age"], 3),
        }
    )


def title_token_rows(vocab: Vocabularies, movies: pd.DataFrame) -> pd.DataFrame:
    """Title -> tokens -> token ids (0 = rare/unknown token, dropped) -> the padded model input.

    Returns:
        Columns movie_id, title, tokens, token ids, model input (MAX_TITLE_TOKENS ids, 0-padded).
    """
    rows = []
    for movie_id, title in zip(movies["movie_id"], movies["movie_title"], strict=True):
        tokens = title_tokens(title)
        ids = lookup(vocab.title_tokens, tokens) if tokens else np.zeros(0, dtype=np.int32)
        kept = [int(i) for i in ids if i > 0][:MAX_TITLE_TOKENS]
        padded = kept + [0] * (MAX_TITLE_TOKENS - len(kept))
        rows.append(
            {
                "movie_id": int(movie_id),
                "title": title,
                "tokens": " | ".join(tokens),
                "token ids": ", ".join(str(int(i)) for i in ids),
                "model input": ", ".join(str(i) for i in padded),
            }
        )
    return pd.DataFrame(rows, columns=["movie_id", "title", "tokens", "token ids", "model input"])


# ---------------------------------------------------------------- movie map


def movie_catalogue(vocab: Vocabularies, movies: pd.DataFrame, ratings: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per movie vocabulary entry (index 1..n), in embedding-row order.

    Returns:
        Columns row (embedding row = vocabulary index), movie_id, movie_title, genre (the
        genre family, `genre_family`), genres (all, joined), year (NaN when unknown), and with
        `ratings` also ratings (how many) and mean_rating (NaN for a movie nobody rated).
    """
    ids = list(vocab.movie_ids)
    frame = movies.set_index("movie_id").reindex(ids)
    titles = frame["movie_title"].fillna("").astype(str).to_numpy()
    genres = [g if isinstance(g, tuple) else () for g in frame["movie_genres"]]
    out = pd.DataFrame(
        {
            "row": np.arange(1, len(ids) + 1),
            "movie_id": np.asarray(ids, dtype=np.int64),
            "movie_title": titles,
            "genre": [genre_family(g) for g in genres],
            "genres": [", ".join(g) if g else NO_GENRE for g in genres],
            "year": pd.to_numeric(frame["year"], errors="coerce").to_numpy(np.float64)
            if "year" in frame
            else np.full(len(ids), np.nan),
        }
    )
    if ratings is not None:
        stats = ratings.groupby("movie_id")["user_rating"].agg(["size", "mean"]).reindex(ids)
        out["ratings"] = stats["size"].fillna(0).to_numpy(np.int64)
        out["mean_rating"] = stats["mean"].to_numpy(np.float64)
    return out


# Colourings of the movie map: label -> catalogue column (categorical for "genre", else numeric).
MAP_COLOURINGS = {
    "Genre family": "genre",
    "Popularity (ratings, log scale)": "ratings",
    "Release year": "year",
    "Mean rating": "mean_rating",
}


def title_matches(catalogue: pd.DataFrame, text: str) -> np.ndarray:
    """Positions of the movies whose title contains `text` (case-insensitive; none for blank text)."""
    needle = text.strip().lower()
    if not needle:
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero(catalogue["movie_title"].str.lower().str.contains(needle, regex=False).to_numpy())


def map_points(catalogue: pd.DataFrame, coords: np.ndarray) -> pd.DataFrame:
    """The catalogue with 2-D coordinates (x, y) attached, row for row.

    Raises:
        ValueError: coords does not have one (x, y) row per catalogue row.
    """
    xy = np.asarray(coords)
    if xy.ndim != 2 or xy.shape[0] != len(catalogue) or xy.shape[1] < 2:
        raise ValueError(f"coords must have shape ({len(catalogue)}, 2), got {xy.shape}")
    return catalogue.assign(x=xy[:, 0], y=xy[:, 1])


def neighbour_table(catalogue: pd.DataFrame, positions: Sequence[int], similarities: Sequence[float]) -> pd.DataFrame:
    """The neighbours at catalogue positions with their cosine similarity, ranked.

    Returns:
        Columns rank, movie_id, movie_title, genres, cosine similarity.
    """
    picked = catalogue.iloc[list(positions)]
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(picked) + 1),
            "movie_id": picked["movie_id"].to_numpy(),
            "movie_title": picked["movie_title"].to_numpy(),
            "genres": picked["genres"].to_numpy(),
            "cosine similarity": np.round(np.asarray(similarities, dtype=np.float64), 4),
        }
    )
