"""Top-N recommendations from a two-tower model through keras-rs BruteForceRetrieval."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import pandas as pd
from scipy import sparse

from recexplore.config.retrieval_index import IndexConfig
from recexplore.data.features import FeatureSpace, Vocabularies, zero_one_csr
from recexplore.data.movielens import MovieLens
from recexplore.data.splits import Split
from recexplore.evaluation.accuracy import hits_at
from recexplore.models.score_rows import ScoreRows, axis_counts
from recexplore.models.towers import TwoTowerModel, make_retrieval
from recexplore.serving.cold_start import Prior, fit_query
from recexplore.serving.retrieval_index import MovieIndex, recall

if TYPE_CHECKING:
    from recexplore.models.ease import EaseWeights


class RecommendError(ValueError):
    """A bad recommendation request (unknown user, bad k) with a one-line message."""


def known_user(space: FeatureSpace, user_id: Any) -> int:
    """The vocabulary index of a user id, or RecommendError (one line) naming the valid range."""
    try:
        uid = int(user_id)
    except (TypeError, ValueError):
        raise RecommendError(f"User id must be an integer, got {user_id!r}.") from None
    ids = space.vocab.user_ids
    idx = int(space.user_index([uid])[0]) if min(ids) <= uid <= max(ids) else 0  # no int64 overflow
    if idx == 0:
        raise RecommendError(f"Unknown user {uid}: user ids run from {min(ids)} to {max(ids)}.")
    return idx


@dataclass(frozen=True)
class Served:
    """A list served through an index: the list, which index served it ('HNSW (M=32, efSearch=64)'),
    and the share of the exact (brute-force) list it holds."""

    frame: pd.DataFrame
    index: str
    recall_vs_exact: float


@dataclass
class Recommender:
    """Serving state for one retrieval model: precomputed vectors and a retrieval index.

    Candidates are not serialised with BruteForceRetrieval, so the index is rebuilt
    here from the loaded candidate tower.
    """

    model: TwoTowerModel
    data: MovieLens
    space: FeatureSpace
    query_vectors: np.ndarray
    candidate_vectors: np.ndarray
    rated: dict[int, np.ndarray]
    index: keras.layers.Layer
    held_out: dict[int, dict[int, int]] = field(default_factory=dict)
    _average_hits: dict[int, float] = field(default_factory=dict, repr=False, compare=False)
    # The index's k is layer state: one request at a time sets it and reads the index (the app
    # shares one Recommender between all sessions; without this, concurrent requests got short lists).
    _index_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    # Approximate indexes over the candidate vectors, built once per build settings (`movie_index`).
    _movie_indexes: dict[tuple[Any, ...], MovieIndex] = field(default_factory=dict, repr=False, compare=False)
    _build_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def build(
        cls, model: TwoTowerModel, vocab: Vocabularies, data: MovieLens, split: Split, space: FeatureSpace | None = None
    ) -> Recommender:
        """Encode every user and movie once and build the retrieval index (`space`: reuse an encoding).

        `split` is the model's own split: its training part is what a user is never recommended
        (as in evaluation) and its test part is what counts as a held-out hit.
        """
        space = space if space is not None else FeatureSpace(vocab, data)
        query = model.query_embeddings(space.query_features(np.arange(space.n_users)))
        movies = np.arange(1, space.n_movies)  # row 0 is the OOV movie: never recommended
        candidates = model.candidate_embeddings(space.candidate_features(movies))
        users = space.user_index(split.train["user_id"])
        items = space.movie_index(split.train["movie_id"])
        order = np.argsort(users, kind="stable")
        bounds = np.searchsorted(users[order], np.arange(space.n_users + 1))
        rated = {u: items[order[bounds[u] : bounds[u + 1]]] for u in range(space.n_users)}
        held_out: dict[int, dict[int, int]] = {}
        for u, m, stars in zip(
            space.user_index(split.test["user_id"]),
            split.test["movie_id"].to_numpy(),
            split.test["user_rating"].to_numpy(),
            strict=True,
        ):
            held_out.setdefault(int(u), {})[int(m)] = int(stars)
        index = make_retrieval(candidates, movies, k=10)
        return cls(model, data, space, query, candidates, rated, index, held_out)

    @cached_property
    def training_matrix(self) -> sparse.csr_matrix:
        """The 0/1 (n_users, n_movies) matrix of who rated what in the model's training part (bool CSR)."""
        pairs = [(np.full(len(items), user), np.asarray(items)) for user, items in self.rated.items()]
        users, items = (np.concatenate([p[i] for p in pairs] or [np.empty(0, np.int64)]) for i in (0, 1))
        return zero_one_csr(users, items, (self.space.n_users, self.space.n_movies))

    @cached_property
    def movie_counts(self) -> np.ndarray:
        """(n_movies,) training ratings of each movie (the popularity baseline's scores)."""
        return axis_counts(self.training_matrix, 0)

    @cached_property
    def prior(self) -> Prior:
        """Where the model's known users' query vectors lie: the new-user fold-in's prior."""
        return Prior.of_users(self.query_vectors[1:])

    @property
    def n_candidates(self) -> int:
        """Movies that can be recommended."""
        return len(self.candidate_vectors)

    def user_index(self, user_id: int) -> int:
        """Vocabulary index of a user id, or RecommendError naming the valid range."""
        return known_user(self.space, user_id)

    def check_k(self, k: int) -> int:
        """Validate the number of recommendations."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= self.n_candidates:
            raise RecommendError(f"k must be an integer from 1 to {self.n_candidates}, got {k!r}.")
        return int(k)

    def top_k(self, query_vector: np.ndarray, exclude: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Movie indices and scores of the best k candidates, `exclude` (movie indices) removed."""
        query = keras.ops.convert_to_tensor(query_vector[None, :].astype(np.float32))
        with self._index_lock:
            self.index.k = int(min(k + len(exclude), self.n_candidates))
            scores, ids = self.index(query)
        scores, ids = keras.ops.convert_to_numpy(scores)[0], keras.ops.convert_to_numpy(ids)[0]
        keep = ~np.isin(ids, exclude)
        return ids[keep][:k], scores[keep][:k]

    def movie_index(self, config: IndexConfig) -> MovieIndex:
        """The index `config` asks for over the candidate vectors (row r: movie index r + 1), built
        once per build settings and searched with `config`'s; RetrievalIndexError for a bad nlist."""
        key = (config.kind, config.nlist, config.hnsw_m)
        with self._build_lock:
            if key not in self._movie_indexes:
                self._movie_indexes[key] = MovieIndex.build(self.candidate_vectors, config)
        return self._movie_indexes[key].searched_with(config)

    def served_top_k(
        self, query_vector: np.ndarray, exclude: np.ndarray, k: int, config: IndexConfig
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """`top_k` through the index `config` asks for, and the list's recall against the exact one."""
        exact = self.top_k(query_vector, exclude, k)
        if not config.approximate:
            return *exact, 1.0
        rows, scores = self.movie_index(config).top_k(query_vector, np.asarray(exclude) - 1, k)
        return rows + 1, scores, recall(rows + 1, exact[0])

    def serve(self, user_id: int, k: int, config: IndexConfig) -> Served:
        """`recommend` through the index `config` asks for, with which index and the list's recall."""
        k = self.check_k(k)
        user = self.user_index(user_id)
        ids, scores, found = self.served_top_k(
            self.query_vectors[user], self.rated.get(user, np.empty(0, np.int64)), k, config
        )
        return Served(self.describe(ids, scores), config.label(self.n_candidates), found)

    def recommend(self, user_id: int, k: int = 10) -> pd.DataFrame:
        """Top-k movies for a known user, movies they already rated excluded.

        Returns:
            Frame with rank, movie_id, movie_title, movie_genres, score.
        """
        k = self.check_k(k)
        user = self.user_index(user_id)
        ids, scores = self.top_k(self.query_vectors[user], self.rated.get(user, np.empty(0, np.int64)), k)
        return self.describe(ids, scores)

    def held_out_of(self, user_id: int) -> dict[int, int]:
        """The user's ratings in the split's held-out part: movie id -> stars (what counts as a hit)."""
        return dict(self.held_out.get(self.user_index(user_id), {}))

    def average_hit_rate(self, k: int) -> float:
        """Hit-rate@k over every held-out rating of the split (the model's evaluation metric)."""
        k = self.check_k(k)
        if k not in self._average_hits:
            # Column 0 (the OOV movie, never ranked) scores 0 here; hits_at drops it. Scored a batch
            # of users at a time: never the users x movies table in one piece.
            candidates = np.concatenate(
                [np.zeros((1, self.candidate_vectors.shape[1]), np.float32), self.candidate_vectors]
            )
            scores = ScoreRows.product(self.query_vectors, candidates.T)
            pairs = [(u, m) for u, own in self.held_out.items() for m in own]
            if not pairs:
                return float("nan")
            users, movie_ids = (np.asarray(x) for x in zip(*pairs, strict=True))
            movies = self.space.movie_index(movie_ids)
            hits = hits_at(scores, users, movies, exclude=self.training_matrix, ks=(k,))[k]
            self._average_hits[k] = float(np.mean(hits))
        return self._average_hits[k]

    def describe(self, movie_idx: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
        """Movie details for movie vocabulary indices, in the given order."""
        movie_ids = np.asarray(self.space.vocab.movie_ids)[np.asarray(movie_idx) - 1]
        info = self.data.movies.set_index("movie_id").loc[movie_ids]
        return pd.DataFrame(
            {
                "rank": np.arange(1, len(movie_ids) + 1),
                "movie_id": movie_ids,
                "movie_title": info["movie_title"].to_numpy(),
                "movie_genres": [", ".join(g) for g in info["movie_genres"]],
                "score": np.round(np.asarray(scores, dtype=np.float64), 4),
            }
        )


def user_profile(data: MovieLens, user_id: int) -> tuple[dict[str, object], pd.DataFrame]:
    """A user's demographics and rated movies (best first), or RecommendError."""
    row = data.users.loc[data.users["user_id"] == int(user_id)]
    if row.empty:
        ids = data.users["user_id"]
        raise RecommendError(f"Unknown user {user_id}: user ids run from {ids.min()} to {ids.max()}.")
    user = row.iloc[0]
    profile = {
        "age": None if pd.isna(user["raw_user_age"]) else int(user["raw_user_age"]),
        "gender": user["user_gender"],
        "occupation": user["user_occupation_text"],
        "zip": user["user_zip_code"],
    }
    rated = data.ratings.loc[data.ratings["user_id"] == int(user_id), ["movie_id", "user_rating", "timestamp"]]
    rated = rated.merge(data.movies[["movie_id", "movie_title", "movie_genres"]], on="movie_id")
    rated = rated.sort_values(["user_rating", "timestamp"], ascending=[False, False]).reset_index(drop=True)
    rated["movie_genres"] = [", ".join(g) for g in rated["movie_genres"]]
    return profile, rated


def profile_text(profile: dict[str, object], n_rated: int) -> str:
    """One line about a user: their demographics (where the data set has them) and how many ratings."""
    if profile["age"] is None:
        return f"No demographics in this data set · {n_rated} ratings"
    return f"Age {profile['age']} · gender {profile['gender']} · {profile['occupation']} · {n_rated} ratings"


def held_out_marks(held_out: dict[int, int], movie_ids: list[int]) -> tuple[list[str], int]:
    """Each listed movie's mark ('★★★★ hit' for a held-out rating, '' otherwise) and how many hit."""
    marks = ["★" * held_out[int(m)] + " hit" if int(m) in held_out else "" for m in movie_ids]
    return marks, sum(bool(mark) for mark in marks)


def because_you_rated(
    rec: Recommender, user_id: int, movie_ids: list[int], min_stars: float = 4.0, rated: pd.DataFrame | None = None
) -> list[str]:
    """For each recommended movie, the user's well-rated training-part movie most similar to it
    (cosine of candidate vectors): held-out ratings are what is being predicted, never a reason."""
    rated = rated if rated is not None else user_profile(rec.data, user_id)[1]  # the page passes its own
    trained = np.asarray(rec.space.vocab.movie_ids)[rec.rated.get(rec.user_index(user_id), np.empty(0, int)) - 1]
    rated = rated.loc[rated["movie_id"].isin(trained)]
    liked = rated.loc[rated["user_rating"] >= min_stars]
    if liked.empty:
        liked = rated
    if liked.empty:
        return ["" for _ in movie_ids]
    unit = rec.candidate_vectors / np.maximum(np.linalg.norm(rec.candidate_vectors, axis=1, keepdims=True), 1e-9)
    liked_rows = rec.space.movie_index(liked["movie_id"]) - 1
    target_rows = rec.space.movie_index(movie_ids) - 1
    similarity = unit[target_rows] @ unit[liked_rows].T
    best = similarity.argmax(axis=1)
    titles = liked["movie_title"].to_numpy()
    return [f"{titles[b]} (similarity {similarity[i, b]:.2f})" for i, b in enumerate(best)]


def parse_new_ratings(rec: Recommender, ratings: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """Candidate rows and stars of a new user's (movie_id -> 1-5 stars) ratings, or RecommendError."""
    if not ratings:
        raise RecommendError("Rate at least one movie to get recommendations.")
    try:
        ids = np.array([int(m) for m in ratings], dtype=np.int64)
        stars = np.array([float(ratings[m]) for m in ratings], dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise RecommendError("Ratings must map integer movie ids to 1-5 stars.") from None
    if not np.all(np.isfinite(stars) & (stars >= 1) & (stars <= 5)):
        raise RecommendError("Ratings must be between 1 and 5 stars.")
    rows = rec.space.movie_index(ids)
    if np.any(rows == 0):
        raise RecommendError(f"Unknown movie id {int(ids[rows == 0][0])}.")
    return rows - 1, stars


def for_new_user(rec: Recommender, ratings: dict[int, float], k: int = 10) -> pd.DataFrame:
    """Recommendations for someone not in the data, from a few (movie_id -> stars) ratings (exact)."""
    return serve_new_user(rec, ratings, k, IndexConfig()).frame


def serve_new_user(rec: Recommender, ratings: dict[int, float], k: int, config: IndexConfig) -> Served:
    """Recommendations for someone not in the data, from a few (movie_id -> stars) ratings, served
    through the index `config` asks for.

    The query vector is fitted to the ratings under the model's own softmax scoring, liked
    movies as positives and disliked ones as negatives (`recexplore.serving.cold_start`); rated
    movies are excluded.
    """
    k = rec.check_k(k)
    rows, stars = parse_new_ratings(rec, ratings)
    query = fit_query(rec.candidate_vectors, rec.model.temperature, rows, stars, rec.prior).query
    movie_idx, scores, found = rec.served_top_k(query, rows + 1, k, config)
    return Served(rec.describe(movie_idx, scores), config.label(rec.n_candidates), found)


def parse_rate_option(text: str) -> list[tuple[str, float]]:
    """`MOVIE=STARS,...` (MOVIE: a movie id or a piece of its title) as (movie, stars) pairs."""
    pairs = [part.strip() for part in str(text).split(",") if part.strip()]
    if not pairs:
        raise RecommendError("give at least one rating as MOVIE=STARS, e.g. 50=5,313=1")
    out = []
    for pair in pairs:
        movie, sep, stars = pair.rpartition("=")
        if not sep or not movie.strip():
            raise RecommendError(f"{pair!r} is not MOVIE=STARS (a movie id or title, '=', 1-5 stars)")
        try:
            value = float(stars)
        except ValueError:
            raise RecommendError(f"stars must be a number from 1 to 5, got {stars!r} in {pair!r}") from None
        if not 1 <= value <= 5:  # NaN fails too
            raise RecommendError(f"stars must be from 1 to 5, got {stars!r} in {pair!r}")
        out.append((movie.strip(), value))
    return out


def resolve_movies(data: MovieLens, pairs: list[tuple[str, float]]) -> dict[int, float]:
    """Movie ids for (movie id or title piece, stars) pairs; RecommendError for unknown or ambiguous ones."""
    titles = data.movies.set_index("movie_id")["movie_title"]
    out: dict[int, float] = {}
    for movie, stars in pairs:
        if movie.isdigit() and len(movie) <= 9 and int(movie) in titles.index:
            out[int(movie)] = stars
            continue
        found = titles[titles.str.contains(movie, case=False, regex=False)]
        if found.empty:
            raise RecommendError(f"unknown movie {movie!r}: give a movie id or a piece of its title")
        exact = found[found.str.lower().str.startswith(movie.lower())]
        found = exact if len(exact) == 1 else found
        if len(found) > 1:
            shown = "; ".join(f"{i} {t}" for i, t in found.head(4).items())
            raise RecommendError(f"{movie!r} matches {len(found)} movies ({shown}...): use the movie id")
        out[int(found.index[0])] = stars
    return out


def rerank_by_stars(recs: pd.DataFrame, stars: np.ndarray) -> pd.DataFrame:
    """Retrieved candidates re-ordered by a ranking model's predicted stars (rank renumbered)."""
    out = recs.assign(**{"predicted stars": np.asarray(stars, dtype=np.float64)})
    out = out.sort_values("predicted stars", ascending=False, kind="stable").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def predict_stars(
    dlrm: keras.Model, space: FeatureSpace, user_id: int, movie_ids: list[int], timestamp: int
) -> np.ndarray:
    """A DLRM's predicted stars for one user and several movies (the re-ranking stage)."""
    from recexplore.evaluation.scoring import predict_ratings

    frame = pd.DataFrame(
        {"user_id": int(user_id), "movie_id": np.asarray(movie_ids, dtype=np.int64), "timestamp": int(timestamp)}
    )
    return predict_ratings(dlrm, space.dlrm_features(frame))


def baseline_recommendations(rec: Recommender, scores: np.ndarray, user_id: int, k: int = 10) -> pd.DataFrame:
    """A baseline's top-k for a known user from its (n_movies,) score row, the user's training
    movies excluded and ties broken by the lower movie index, as in evaluation; the same columns
    as `Recommender.recommend`."""
    k = rec.check_k(k)
    user = rec.user_index(user_id)
    row = np.array(scores, dtype=np.float64)
    row[rec.rated.get(user, np.empty(0, np.int64))] = -np.inf
    row[0] = -np.inf
    top = np.lexsort((np.arange(len(row)), -row))[:k]
    return rec.describe(top, row[top])


def popularity_recommendations(rec: Recommender, user_id: int, k: int = 10) -> pd.DataFrame:
    """The popularity baseline's top-k for a user on the model's split: the most-rated training movies."""
    return baseline_recommendations(rec, rec.movie_counts, user_id, k)


def ease_recommendations(rec: Recommender, weights: EaseWeights, user_id: int, k: int = 10) -> pd.DataFrame:
    """EASE's top-k for a user on the model's split: the user's training row times the item-item
    `weights` (`ease.fit_ease` of `rec.training_matrix`; movies it left out are never listed)."""
    row = weights.scores(rec.training_matrix[[rec.user_index(user_id)]])[0]
    return baseline_recommendations(rec, row, user_id, k)


def compare_lists(rec: Recommender, first: pd.DataFrame, second: pd.DataFrame) -> dict[str, float]:
    """How two top-k lists for one user differ: Jaccard overlap, rank-biased overlap (lists cut to
    the shorter length), and each list's mean training-popularity percentile (100: the most rated)."""
    from recexplore.evaluation.list_metrics import popularity_percentiles
    from recexplore.evaluation.list_overlap import jaccard, rank_biased_overlap

    a, b = (list(map(int, frame["movie_id"])) for frame in (first, second))
    n = min(len(a), len(b))
    percentile = popularity_percentiles(rec.movie_counts)
    mean = {
        name: float(np.mean(percentile[rec.space.movie_index(ids)])) if ids else float("nan")
        for name, ids in (("first", a), ("second", b))
    }
    return {
        "jaccard": jaccard(a, b),
        "rbo": rank_biased_overlap(a[:n], b[:n]),
        "first_popularity_percentile": mean["first"],
        "second_popularity_percentile": mean["second"],
    }
