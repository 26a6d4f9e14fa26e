"""Top-N recommendations from a two-tower model through keras-rs BruteForceRetrieval."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd

from recexplore.data import MovieLens
from recexplore.features import FeatureSpace, Vocabularies
from recexplore.models.towers import TwoTowerModel, make_retrieval


class RecommendError(ValueError):
    """A bad recommendation request (unknown user, bad k) with a one-line message."""


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

    @classmethod
    def build(cls, model: TwoTowerModel, vocab: Vocabularies, data: MovieLens) -> Recommender:
        """Encode every user and movie once and build the retrieval index."""
        space = FeatureSpace(vocab, data)
        query = model.query_embeddings(space.query_features(np.arange(space.n_users)))
        movies = np.arange(1, space.n_movies)  # row 0 is the OOV movie: never recommended
        candidates = model.candidate_embeddings(space.candidate_features(movies))
        users = space.user_index(data.ratings["user_id"])
        items = space.movie_index(data.ratings["movie_id"])
        order = np.argsort(users, kind="stable")
        bounds = np.searchsorted(users[order], np.arange(space.n_users + 1))
        rated = {u: items[order[bounds[u] : bounds[u + 1]]] for u in range(space.n_users)}
        index = make_retrieval(candidates, movies, k=10)
        return cls(model, data, space, query, candidates, rated, index)

    @property
    def n_candidates(self) -> int:
        """Movies that can be recommended."""
        return len(self.candidate_vectors)

    def user_index(self, user_id: int) -> int:
        """Vocabulary index of a user id, or RecommendError naming the valid range."""
        try:
            uid = int(user_id)
        except (TypeError, ValueError):
            raise RecommendError(f"User id must be an integer, got {user_id!r}.") from None
        idx = int(self.space.user_index([uid])[0])
        if idx == 0:
            ids = self.space.vocab.user_ids
            raise RecommendError(f"Unknown user {uid}: user ids run from {min(ids)} to {max(ids)}.")
        return idx

    def check_k(self, k: int) -> int:
        """Validate the number of recommendations."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= self.n_candidates:
            raise RecommendError(f"k must be an integer from 1 to {self.n_candidates}, got {k!r}.")
        return int(k)

    def top_k(self, query_vector: np.ndarray, exclude: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Movie indices and scores of the best k candidates, `exclude` (movie indices) removed."""
        self.index.k = int(min(k + len(exclude), self.n_candidates))
        scores, ids = self.index(keras.ops.convert_to_tensor(query_vector[None, :].astype(np.float32)))
        scores, ids = keras.ops.convert_to_numpy(scores)[0], keras.ops.convert_to_numpy(ids)[0]
        keep = ~np.isin(ids, exclude)
        return ids[keep][:k], scores[keep][:k]

    def recommend(self, user_id: int, k: int = 10) -> pd.DataFrame:
        """Top-k movies for a known user, movies they already rated excluded.

        Returns:
            Frame with rank, movie_id, movie_title, movie_genres, score.
        """
        k = self.check_k(k)
        user = self.user_index(user_id)
        ids, scores = self.top_k(self.query_vectors[user], self.rated.get(user, np.empty(0, np.int64)), k)
        return self.describe(ids, scores)

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
