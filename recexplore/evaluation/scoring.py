"""Scoring trained models: predictions, all-pair retrieval scores, test metrics, and what a
loaded model needs from the data before it can score (serving imports this, never training)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from recexplore.data.batches import in_pieces
from recexplore.data.features import FeatureSpace, Vocabularies
from recexplore.data.movielens import DataError, MovieLens
from recexplore.data.splits import Split, make_split
from recexplore.evaluation.accuracy import mae, retrieval_report, rmse
from recexplore.evaluation.beyond import Target, slices, user_values
from recexplore.evaluation.list_metrics import prefixed
from recexplore.evaluation.rating_peers import rating_baselines_and_biases
from recexplore.evaluation.sampled import DEFAULT_SAMPLINGS, Sampling
from recexplore.families import family
from recexplore.models.popularity import popularity_scores
from recexplore.models.score_rows import ScoreRows

if TYPE_CHECKING:
    import pandas as pd

    from recexplore.models.ease import EaseWeights


def rating_metrics(model: keras.Model, space: FeatureSpace, split: Split) -> dict[str, float]:
    """Test RMSE and MAE of a rating model (its rated-movies matrix must already be set), with the
    global-mean and bias-only RMSE on the same split to read them against; and how it orders each
    test user's held-out movies (`held_out_lists`: by its raw score, beside bias-only and popularity)."""
    from recexplore.evaluation.held_out_lists import list_metrics

    scores = rating_scores(model, space, split.test)
    predictions = np.clip(scores, 1.0, 5.0)
    truth = split.test["user_rating"].to_numpy()
    baselines, bias_only = rating_baselines_and_biases(split.train, split.test, split.seed)
    counts = split.train["movie_id"].value_counts().to_dict()
    return {
        "test_rmse": rmse(truth, predictions),
        "test_mae": mae(truth, predictions),
        "global_mean_rmse": baselines["global_mean_rmse"],
        "bias_only_rmse": baselines["bias_only_rmse"],
        **list_metrics(split.test, scores, bias_only, counts),
    }


def towers_metrics(model: keras.Model, space: FeatureSpace, split: Split) -> dict[str, float]:
    """Hit-rates, seed accuracies, the list metrics beyond them, and the same for the popularity
    baseline, of a two-tower model."""
    return towers_evaluation(model, space, split)[0]


def towers_evaluation(model: keras.Model, space: FeatureSpace, split: Split) -> tuple[dict[str, float], dict[str, Any]]:
    """`towers_metrics`, plus what does not fit a flat table: the results by user group
    (`slices`, the popularity baseline's beside the model's) and the per-user values a paired
    test resamples (`per_user`, and `popularity_per_user`)."""
    target, scores, lists = _scored_lists(model, space, split)
    metrics = retrieval_report(
        scores, target.seen, target.test_users, target.test_items, split.test["user_rating"].to_numpy()
    )
    metrics.update(_list_metrics(target, lists))
    extras = {
        "slices": slices(lists, target),
        "per_user": user_values(lists[""], target),
        "popularity_per_user": user_values(lists["popularity_"], target),
    }
    return metrics, extras


def _scored_lists(
    model: keras.Model, space: FeatureSpace, split: Split
) -> tuple[Target, ScoreRows, dict[str, np.ndarray]]:
    """A retrieval model's split target, its all-pair scores (`tower_scores`: made a batch of users
    at a time), and the top-k lists of the model ('') and of the popularity baseline ('popularity_')."""
    scores = tower_scores(model, space)
    target = Target.of(space, split)
    lists = {"": target.lists(scores), "popularity_": target.lists(popularity_scores(target.seen))}
    return target, scores, lists


def _list_metrics(target: Target, lists: dict[str, np.ndarray]) -> dict[str, float]:
    """Every scorer's list metrics, under its prefix."""
    metrics: dict[str, float] = {}
    for prefix, found in lists.items():
        metrics.update(prefixed(target.report(found), prefix))
    return metrics


def split_of(meta: dict[str, Any], data: MovieLens) -> Split:
    """Recreate the split a saved model was trained on, refusing different data."""
    if meta.get("data_fingerprint") != data.fingerprint:
        raise DataError(
            f"Model {meta.get('name', '?')!r} was trained on data with fingerprint {meta.get('data_fingerprint')}, "
            f"but the loaded data has {data.fingerprint}: point --data at the data set it was trained on."
        )
    split = meta.get("split", {})
    return make_split(data, split.get("name", "random"), seed=int(meta.get("seed", 42)))


def prepare_loaded(
    kind: str, model: keras.Model, meta: dict[str, Any], data: MovieLens, vocab: Vocabularies
) -> tuple[FeatureSpace, Split]:
    """Rebuild what a loaded model needs from the data (a rating model's rated-movies matrix, or a
    two-tower model's whose query tower reads the user's history)."""
    split = split_of(meta, data)
    space = FeatureSpace(vocab, data)
    if family(kind).task.rebuilds_history or getattr(model, "reads_history", False):
        model.set_history(space.history(split.train))
    return space, split


def evaluate_loaded(
    kind: str, model: keras.Model, meta: dict[str, Any], data: MovieLens, vocab: Vocabularies
) -> dict[str, float]:
    """Recompute a loaded model's test metrics on the split it was trained on."""
    space, split = prepare_loaded(kind, model, meta, data, vocab)
    return family(kind).task.behaviour("evaluator")(model, space, split)


def history_features(model: keras.Model, space: FeatureSpace, seqs: list[np.ndarray]) -> dict[str, np.ndarray]:
    """A next-movie model's query inputs for every user row: the padded latest movies of each
    history (and the user features)."""
    from recexplore.data.history import padded

    users = np.arange(space.n_users)
    return {"history": padded(seqs, model.model_config.max_len), **space.query_features(users)}


def sequential_scores(
    model: keras.Model, space: FeatureSpace, seqs: list[np.ndarray], candidates: np.ndarray | None = None
) -> ScoreRows:
    """Every movie's score as each user's next one, from their histories: each user's and movie's
    vector computed once (`candidates`: the movies' vectors, when already at hand), their products
    a batch of users at a time (never users x movies at once)."""
    query = model.query_embeddings(history_features(model, space, seqs))
    if candidates is None:
        candidates = model.candidate_embeddings(
            {"movie_id": np.arange(space.n_movies), "genres": space.movies["genres"]}
        )
    return ScoreRows.product(query, np.asarray(candidates).T)


def next_item_metrics(
    model: keras.Model,
    space: FeatureSpace,
    split: Split,
    arrays: dict[str, Any] | None = None,
    samplings: Sequence[Sampling] = DEFAULT_SAMPLINGS,
) -> dict[str, float]:
    """A next-movie model's hit rates and NDCG on its split's targets, full and sampled
    (`samplings`), with the three peers' (`arrays`: the split's `next_item.split_arrays`, when
    already at hand)."""
    from recexplore.evaluation.next_item import next_item_report, peer_reports, split_arrays

    arrays = arrays if arrays is not None else split_arrays(space, split)
    scores = sequential_scores(model, space, arrays["histories"])
    report = next_item_report(scores, arrays["seen"], arrays["users"], arrays["targets"], samplings=samplings)
    report.update(peer_reports(space, split, arrays, samplings))
    return report


def predict_ratings(model: keras.Model, features: dict[str, np.ndarray], batch_size: int = 65536) -> np.ndarray:
    """A rating model's star predictions clipped to the 1-5 scale (one batch up to `batch_size`: one trace)."""
    raw = model.predict(features, batch_size=batch_size, verbose=0)
    return np.clip(np.asarray(raw, dtype=np.float64).reshape(-1), 1.0, 5.0)


def rating_scores(model: keras.Model, space: FeatureSpace, ratings: pd.DataFrame) -> np.ndarray:
    """A rating model's raw scores of every row of `ratings` (not clipped: they order a list)."""

    def raw(x: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(model.predict(x, batch_size=65536, verbose=0), dtype=np.float64).reshape(-1)

    return in_pieces(space.dlrm_maker(ratings), len(ratings), raw)


def rating_predictions(model: keras.Model, space: FeatureSpace, ratings: pd.DataFrame) -> np.ndarray:
    """`predict_ratings` of every row of `ratings`, its inputs built a bounded piece at a time."""
    return in_pieces(space.dlrm_maker(ratings), len(ratings), lambda x: predict_ratings(model, x))


def all_pair_scores(model: keras.Model, space: FeatureSpace) -> np.ndarray:
    """(n_users, n_movies) dot-product scores of every user against every movie, in one piece
    (small catalogues; evaluation reads `tower_scores` a batch of users at a time)."""
    return tower_scores(model, space).full()


def tower_scores(model: keras.Model, space: FeatureSpace) -> ScoreRows:
    """`all_pair_scores` as `ScoreRows`: every user's and movie's vector computed once, their
    products a batch of users at a time (the same numbers, never users x movies at once)."""
    users = np.arange(space.n_users)
    query = model.query_embeddings(space.query_features(users))
    candidates = model.candidate_embeddings(space.candidate_features())
    return ScoreRows.product(query, candidates.T)


def beyond_view(
    model: keras.Model, space: FeatureSpace, split: Split, ease_weights: np.ndarray | EaseWeights | None = None
) -> dict[str, Any]:
    """What the Beyond accuracy view draws for one retrieval model on its own split: its metrics
    and the popularity baseline's (and EASE's, given its item-item weights on this split's
    training part: `ease.fit_ease`, or the items x items matrix of `ease.ease_weights`), the
    results by user group, and each scorer's long-tail curve (recommendation counts by movie
    popularity rank). Every score row is made a batch of users at a time.

    Returns:
        {"metrics", "slices", "long_tail": {"model", "popularity"[, "EASE"]: list of counts},
        "per_user": the same scorers' per-user values (for paired tests), "users": how many were evaluated}.
    """
    from recexplore.evaluation.beyond import long_tail
    from recexplore.models.ease import ease_rows

    target, _, lists = _scored_lists(model, space, split)
    group_rows = slices(lists, target)
    if ease_weights is not None:
        lists["ease_"] = target.lists(ease_rows(target.seen, ease_weights))
    names = {"": "model", "popularity_": "popularity", "ease_": "EASE"}
    return {
        "metrics": _list_metrics(target, lists),
        "slices": group_rows,
        "long_tail": {names[p]: long_tail(found, target.catalogue.train_counts).tolist() for p, found in lists.items()},
        "per_user": {names[p]: user_values(found, target) for p, found in lists.items()},
        "users": len(target.held_out.users),
    }
