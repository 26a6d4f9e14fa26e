"""Serving a next-movie model: a user's timeline, their next-movie list, the attention over their
history, and how much the order of that history matters (shuffled and scored again)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from recexplore.data.features import FeatureSpace
from recexplore.data.history import padded
from recexplore.data.movielens import MovieLens
from recexplore.data.splits import MIN_RATINGS, Split, time_ordered
from recexplore.evaluation.next_item import split_arrays
from recexplore.evaluation.scoring import sequential_scores
from recexplore.models.score_rows import ZeroOne, nonzero_in_rows
from recexplore.serving.recommend import RecommendError, known_user

ABLATION_SEED = 0  # the shuffles of the order ablation


@dataclass
class NextMovieRecommender:
    """One next-movie model's serving state on its own split."""

    model: Any
    data: MovieLens
    space: FeatureSpace
    split: Split
    histories: list[np.ndarray]
    seen: ZeroOne  # the training part's 0/1 matrix (CSR): what is never recommended
    targets: dict[int, int]  # user row -> the held-out next movie's index
    candidates: np.ndarray
    _average: dict[str, float] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, model: Any, data: MovieLens, split: Split, space: FeatureSpace) -> NextMovieRecommender:
        """Encode every movie once; read the histories and targets of `split` (the model's own)."""
        arrays = split_arrays(space, split)
        candidates = model.candidate_embeddings(
            {"movie_id": np.arange(space.n_movies), "genres": space.movies["genres"]}
        )
        targets = {int(u): int(m) for u, m in zip(arrays["users"], arrays["targets"], strict=True)}
        return cls(model, data, space, split, arrays["histories"], arrays["seen"], targets, candidates)

    # -- users --------------------------------------------------------------------------------
    def user_row(self, user_id: Any) -> int:
        """The user's row; RecommendError (one line) for an unknown user or one without a target."""
        row = known_user(self.space, user_id)
        uid = int(user_id)
        if row not in self.targets:
            count = int((self.data.ratings["user_id"] == uid).sum())
            raise RecommendError(
                f"User {uid} has {count} ratings on this split's side of time; a next movie to check needs at "
                f"least {MIN_RATINGS}: pick another user."
            )
        return row

    def users_with_targets(self) -> list[int]:
        """The user ids that have a held-out next movie, ascending."""
        ids = np.asarray(self.space.vocab.user_ids)
        return sorted(int(ids[row - 1]) for row in self.targets)

    def user_choices(self) -> tuple[list[int], int]:
        """Every user id (one without a next movie gets one line when picked), and the position of
        the first one that has a next movie: what the page's user box offers and opens on."""
        users = sorted(int(u) for u in self.data.users["user_id"])
        with_target = self.users_with_targets()
        return users, users.index(with_target[0]) if with_target else 0

    # -- what the page shows ------------------------------------------------------------------
    def timeline(self, user_id: Any) -> pd.DataFrame:
        """The user's movies in watch order: position, date, title, stars, and 'history' or
        'next (held out)' for the target."""
        self.user_row(user_id)
        uid = int(user_id)
        train = time_ordered(self.split.train[self.split.train["user_id"] == uid])
        test = self.split.test[self.split.test["user_id"] == uid]
        rows = pd.concat([train.assign(part="history"), test.assign(part="next (held out)")], ignore_index=True)
        titles = self.data.movies.set_index("movie_id")["movie_title"]
        return pd.DataFrame(
            {
                "position": np.arange(1, len(rows) + 1),
                "date": pd.to_datetime(rows["timestamp"], unit="s").dt.strftime("%Y-%m-%d %H:%M"),
                "movie_id": rows["movie_id"].to_numpy(),
                "movie_title": titles.reindex(rows["movie_id"]).to_numpy(),
                "stars": rows["user_rating"].to_numpy(),
                "part": rows["part"].to_numpy(),
            }
        )

    def _query(self, history: np.ndarray, row: int) -> np.ndarray:
        features = {
            "history": padded([history], self.model.model_config.max_len),
            **self.space.query_features(np.array([row])),
        }
        return self.model.query_embeddings(features)[0]

    def _unwatched_scores(self, query: np.ndarray, row: int) -> np.ndarray:
        """Every movie's score for `query`, the user's history and the OOV movie at -inf."""
        scores = self.candidates @ query
        scores[nonzero_in_rows(self.seen, np.array([row]))[1]] = -np.inf
        scores[0] = -np.inf
        return scores

    def _ranked(self, query: np.ndarray, row: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self._unwatched_scores(query, row)
        order = np.lexsort((np.arange(len(scores)), -scores))[:k]
        return order, scores[order]

    def recommend(self, user_id: Any, k: int = 10) -> pd.DataFrame:
        """The user's next-movie top k (their history excluded), the held-out next movie marked."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= self.space.n_movies - 1:
            raise RecommendError(f"k must be an integer from 1 to {self.space.n_movies - 1}, got {k!r}.")
        row = self.user_row(user_id)
        movies, scores = self._ranked(self._query(self.histories[row], row), row, int(k))
        ids = np.asarray(self.space.vocab.movie_ids)[movies - 1]
        info = self.data.movies.set_index("movie_id").loc[ids]
        target = self.targets[row]
        return pd.DataFrame(
            {
                "rank": np.arange(1, len(ids) + 1),
                "movie_id": ids,
                "movie_title": info["movie_title"].to_numpy(),
                "movie_genres": [", ".join(g) for g in info["movie_genres"]],
                "score": np.round(scores.astype(np.float64), 4),
                "next": ["the held-out next movie" if m == target else "" for m in movies],
            }
        )

    def target_rank(self, user_id: Any, history: np.ndarray | None = None) -> int:
        """1-based rank of the held-out next movie among the movies not in the history."""
        row = self.user_row(user_id)
        scores = self._unwatched_scores(self._query(self.histories[row] if history is None else history, row), row)
        target = self.targets[row]
        return int(np.sum(scores > scores[target]) + np.sum(scores[:target] == scores[target]) + 1)

    def attention(self, user_id: Any) -> pd.DataFrame | None:
        """How the latest position attends over the user's last movies in the last block (a
        self-attention model only; None for a GRU): title, position and weight."""
        row = self.user_row(user_id)
        n = self.model.model_config.max_len
        history = self.histories[row][-n:]
        features = {"history": padded([history], n), **self.space.query_features(np.array([row]))}
        weights = self.model.attention_weights(features)
        if weights is None or not len(history):
            return None
        ids = np.asarray(self.space.vocab.movie_ids)[history - 1]
        titles = self.data.movies.set_index("movie_id")["movie_title"].reindex(ids).to_numpy()
        start = len(self.histories[row]) - len(history) + 1
        return pd.DataFrame(
            {
                "position": np.arange(start, start + len(history)),
                "movie_title": titles,
                "weight": weights[0][-len(history) :],
            }
        )

    def order_ablation(self, user_id: Any, shuffles: int = 5) -> dict[str, float]:
        """The held-out next movie's rank from the history as watched, its median over `shuffles`
        shuffles of that history (seeded): how much order matters for this user; and how many
        movies it is ranked among (those not yet watched)."""
        row = self.user_row(user_id)
        rng = np.random.default_rng(ABLATION_SEED)
        ranks = [self.target_rank(user_id, rng.permutation(self.histories[row])) for _ in range(shuffles)]
        unwatched = self.space.n_movies - 1 - int(self.seen[row].sum())
        return {
            "rank": float(self.target_rank(user_id)),
            "shuffled_rank": float(np.median(ranks)),
            "unwatched": unwatched,
        }

    def average_order_effect(self) -> dict[str, float]:
        """Next-movie hit rate@10 over every user with a target, from the histories as watched
        and from each history shuffled once (seeded): how much order matters on average."""
        if not self._average:
            from recexplore.evaluation.next_item import next_item_report

            rng = np.random.default_rng(ABLATION_SEED)
            users = np.array(sorted(self.targets))
            targets = np.array([self.targets[u] for u in users])
            for name, seqs in (("watched", self.histories), ("shuffled", [rng.permutation(h) for h in self.histories])):
                scores = sequential_scores(self.model, self.space, seqs, self.candidates)
                self._average[name] = next_item_report(scores, self.seen, users, targets)["next_hit_rate_at_10"]
        return dict(self._average)
