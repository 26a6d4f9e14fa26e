"""Vocabularies and integer/float encoders shared by every model (index 0 = out of vocabulary)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from recexplore.data.movielens import AGE_BUCKETS, GENRES, MovieLens

if TYPE_CHECKING:
    from recexplore.data.batches import Maker
    from recexplore.data.history import History

GENDERS = ("F", "M")
MAX_TITLE_TOKENS = 8
DENSE_FEATURES = ("raw_user_age", "hour_of_day_sin", "hour_of_day_cos", "hour_of_week_sin", "hour_of_week_cos")
_AGE_MEAN, _AGE_STD = 33.0, 12.0  # fixed scaling keeps encoders data-independent
_TOKEN_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")  # Unicode words: "Misérables" stays whole
_YEAR_RE = re.compile(r"\(\d{4}\)\s*$")


def title_tokens(title: str) -> list[str]:
    """Lower-cased word tokens of a title, release year removed."""
    return _TOKEN_RE.findall(_YEAR_RE.sub("", title).lower())


def zip_region(zip_code: str) -> str:
    """First three characters of a zip code (US sectional centre; letters kept for Canada)."""
    return str(zip_code)[:3].upper()


@dataclass(frozen=True)
class Vocabularies:
    """Every categorical vocabulary the models use; stored with each saved model."""

    user_ids: tuple[int, ...]
    movie_ids: tuple[int, ...]
    occupations: tuple[str, ...]
    zip_regions: tuple[str, ...]
    title_tokens: tuple[str, ...]
    genres: tuple[str, ...] = GENRES
    genders: tuple[str, ...] = GENDERS
    age_buckets: tuple[int, ...] = AGE_BUCKETS

    @classmethod
    def build(cls, data: MovieLens, min_token_count: int = 2) -> Vocabularies:
        """Vocabularies over the catalogue (all users and movies; no ratings are read). A data set
        without demographics has empty occupation and zip vocabularies: every user reads as unknown."""
        counts = Counter(tok for title in data.movies["movie_title"] for tok in title_tokens(title))
        tokens = sorted(t for t, c in counts.items() if c >= min_token_count)
        return cls(
            user_ids=tuple(int(u) for u in sorted(data.users["user_id"])),
            movie_ids=tuple(int(m) for m in sorted(data.movies["movie_id"])),
            occupations=tuple(sorted(set(data.users["user_occupation_text"].unique()) - {""})),
            zip_regions=tuple(sorted(set(data.users["user_zip_code"].map(zip_region).unique()) - {""})),
            title_tokens=tuple(tokens),
            genres=data.genres,
        )

    def to_dict(self) -> dict[str, list]:
        """JSON-ready form."""
        return {k: list(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, payload: dict[str, list]) -> Vocabularies:
        """Inverse of `to_dict`."""
        return cls(**{k: tuple(v) for k, v in payload.items()})

    def sizes(self) -> dict[str, int]:
        """Embedding-table sizes (vocabulary + the OOV row)."""
        return {
            "user_id": len(self.user_ids) + 1,
            "movie_id": len(self.movie_ids) + 1,
            "user_occupation": len(self.occupations) + 1,
            "user_zip": len(self.zip_regions) + 1,
            "title_token": len(self.title_tokens) + 1,
            "user_gender": len(self.genders) + 1,
            "age_bucket": len(self.age_buckets) + 1,
            "gender_x_age": (len(self.genders) + 1) * (len(self.age_buckets) + 1),
            "genre": len(self.genres),
        }


def lookup(vocabulary: tuple, values: pd.Series | np.ndarray | list) -> np.ndarray:
    """Map values to 1-based vocabulary indices, 0 for unknown values."""
    index = pd.Index(vocabulary)
    return (index.get_indexer(pd.Index(values)) + 1).astype(np.int32)


def user_table(vocab: Vocabularies, users: pd.DataFrame) -> dict[str, np.ndarray]:
    """Encoded user features, one row per row of `users`."""
    gender = lookup(vocab.genders, users["user_gender"])
    age = lookup(vocab.age_buckets, users["bucketized_user_age"].astype(int))
    return {
        "user_id": lookup(vocab.user_ids, users["user_id"].astype(int)),
        "user_gender": gender,
        "age_bucket": age,
        "gender_x_age": gender * (len(vocab.age_buckets) + 1) + age,
        "user_occupation": lookup(vocab.occupations, users["user_occupation_text"]),
        "user_zip": lookup(vocab.zip_regions, users["user_zip_code"].map(zip_region)),
        "raw_user_age": ((users["raw_user_age"].to_numpy(np.float32) - _AGE_MEAN) / _AGE_STD).astype(np.float32),
    }


def movie_table(vocab: Vocabularies, movies: pd.DataFrame) -> dict[str, np.ndarray]:
    """Encoded movie features, one row per row of `movies`."""
    tokens = np.zeros((len(movies), MAX_TITLE_TOKENS), dtype=np.int32)
    token_index = {token: i + 1 for i, token in enumerate(vocab.title_tokens)}  # as `lookup`, built once
    for row, title in enumerate(movies["movie_title"]):
        ids = [token_index[t] for t in title_tokens(title) if t in token_index][:MAX_TITLE_TOKENS]
        tokens[row, : len(ids)] = ids
    genre_index = {g: i for i, g in enumerate(vocab.genres)}
    genres = np.zeros((len(movies), len(vocab.genres)), dtype=np.float32)
    for row, names in enumerate(movies["movie_genres"]):
        for name in names:
            if name in genre_index:
                genres[row, genre_index[name]] = 1.0
    return {
        "movie_id": lookup(vocab.movie_ids, movies["movie_id"].astype(int)),
        "title_tokens": tokens,
        "genres": genres,
    }


def time_features(timestamps: np.ndarray) -> np.ndarray:
    """Cyclic hour-of-day and hour-of-week encodings, shape (n, 4)."""
    seconds = np.asarray(timestamps, dtype=np.int64)
    hour_of_day = (seconds % 86400) / 3600.0
    hour_of_week = ((seconds // 3600) + 72) % 168  # 1970-01-01 was a Thursday; 0 = Monday 00:00
    day = 2 * np.pi * hour_of_day / 24.0
    week = 2 * np.pi * hour_of_week / 168.0
    return np.stack([np.sin(day), np.cos(day), np.sin(week), np.cos(week)], axis=1).astype(np.float32)


class FeatureSpace:
    """Encoded per-user and per-movie tables addressed by vocabulary index.

    Row i of every table describes vocabulary index i (row 0: the OOV entity), so a
    batch of ratings is encoded with two integer lookups and `np.take`.
    """

    def __init__(self, vocab: Vocabularies, data: MovieLens) -> None:
        self.vocab = vocab
        users = data.users.set_index("user_id").reindex(list(vocab.user_ids)).reset_index()
        users = users.fillna({"user_gender": "", "user_occupation_text": "", "user_zip_code": ""})
        users = users.fillna({"raw_user_age": _AGE_MEAN, "bucketized_user_age": 0})
        movies = data.movies.set_index("movie_id").reindex(list(vocab.movie_ids)).reset_index()
        movies["movie_title"] = movies["movie_title"].fillna("")
        movies["movie_genres"] = [g if isinstance(g, tuple) else () for g in movies["movie_genres"]]
        self.users = _prepend_oov(user_table(vocab, users))
        self.movies = _prepend_oov(movie_table(vocab, movies))

    @property
    def n_users(self) -> int:
        """Rows of the user tables (vocabulary + OOV)."""
        return len(self.users["user_id"])

    @property
    def n_movies(self) -> int:
        """Rows of the movie tables (vocabulary + OOV)."""
        return len(self.movies["movie_id"])

    def user_index(self, user_ids: pd.Series | np.ndarray | list) -> np.ndarray:
        """Vocabulary indices of raw user ids (0 = unknown)."""
        return lookup(self.vocab.user_ids, np.asarray(user_ids, dtype=np.int64))

    def movie_index(self, movie_ids: pd.Series | np.ndarray | list) -> np.ndarray:
        """Vocabulary indices of raw movie ids (0 = unknown)."""
        return lookup(self.vocab.movie_ids, np.asarray(movie_ids, dtype=np.int64))

    def query_features(self, user_idx: np.ndarray) -> dict[str, np.ndarray]:
        """Two-tower query inputs for user indices."""
        keys = ("user_id", "user_gender", "age_bucket", "gender_x_age", "user_occupation")
        return {k: self.users[k][user_idx] for k in keys}

    def candidate_features(self, movie_idx: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Two-tower candidate inputs for movie indices (all movies when None)."""
        if movie_idx is None:
            return dict(self.movies)
        return {k: v[movie_idx] for k, v in self.movies.items()}

    def dlrm_features(self, ratings: pd.DataFrame) -> dict[str, np.ndarray]:
        """DLRM inputs for rating rows (user_id, movie_id, timestamp columns)."""
        return self.dlrm_maker(ratings)(slice(None))

    def dlrm_maker(self, ratings: pd.DataFrame) -> Maker:
        """`dlrm_features` of any subset of the rows of `ratings`, by position: the rows are held
        as two index arrays and their timestamps, the inputs made when asked (feature_batches)."""
        u = self.user_index(ratings["user_id"])
        m = self.movie_index(ratings["movie_id"])
        stamps = ratings["timestamp"].to_numpy()

        def make(rows: Any) -> dict[str, np.ndarray]:
            users, movies = u[rows], m[rows]
            dense = np.concatenate([self.users["raw_user_age"][users][:, None], time_features(stamps[rows])], axis=1)
            return {
                "user_id": users,
                "movie_id": movies,
                "user_gender": self.users["user_gender"][users],
                "user_zip": self.users["user_zip"][users],
                "user_occupation": self.users["user_occupation"][users],
                "age_bucket": self.users["age_bucket"][users],
                "genres": self.movies["genres"][movies],
                "dense": dense.astype(np.float32),
            }

        return make

    def tower_maker(self, ratings: pd.DataFrame, probability: np.ndarray) -> Maker:
        """Two-tower training inputs (query and candidate features, and the candidate's sampling
        probability) of any subset of the rows of `ratings`, by position."""
        u = self.user_index(ratings["user_id"])
        m = self.movie_index(ratings["movie_id"])

        def make(rows: Any) -> dict[str, np.ndarray]:
            movies = m[rows]
            return {
                **self.query_features(u[rows]),
                **self.candidate_features(movies),
                "sampling_probability": probability[movies],
            }

        return make

    def history(self, ratings: pd.DataFrame) -> History:
        """Who rated what in `ratings`, as a rating model stores it (`RatedMovies`)."""
        from recexplore.data.history import History

        return History.of(
            self.user_index(ratings["user_id"]), self.movie_index(ratings["movie_id"]), ratings["timestamp"]
        )

    def interaction_matrix(self, ratings: pd.DataFrame) -> np.ndarray:
        """0/1 matrix (n_users, n_movies) of who rated what in `ratings`."""
        matrix = np.zeros((self.n_users, self.n_movies), dtype=np.int8)
        matrix[self.user_index(ratings["user_id"]), self.movie_index(ratings["movie_id"])] = 1
        matrix[0, :] = 0
        matrix[:, 0] = 0
        return matrix

    def interaction_csr(self, ratings: pd.DataFrame) -> sparse.csr_matrix:
        """`interaction_matrix` as a bool CSR matrix: the same ones (row 0 and column 0 empty), in
        memory that grows with the ratings (5 bytes each), not users x movies."""
        users = self.user_index(ratings["user_id"])
        movies = self.movie_index(ratings["movie_id"])
        known = (users > 0) & (movies > 0)
        return zero_one_csr(users[known], movies[known], (self.n_users, self.n_movies))


def zero_one_csr(rows: np.ndarray, columns: np.ndarray, shape: tuple[int, int]) -> sparse.csr_matrix:
    """The bool 0/1 CSR matrix of `shape` with a one (True) at each (row, column) pair (a repeated
    pair is one one), its indices sorted within each row."""
    rows = np.asarray(rows).reshape(-1)
    columns = np.asarray(columns).reshape(-1)
    ones = np.ones(len(rows), dtype=bool)
    return sparse.coo_matrix((ones, (rows, columns)), shape=shape).tocsr()  # repeats: True or True


def _prepend_oov(table: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {}
    for key, values in table.items():
        pad = np.zeros((1, *values.shape[1:]), dtype=values.dtype)
        out[key] = np.concatenate([pad, values], axis=0)
    return out
