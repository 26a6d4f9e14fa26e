"""A trained or saved model's full and sampled metrics, and its peers', under a chosen sampling:
what the Sampled metrics page and `bench/sampled_metrics.py` read (each task names its function:
`Task.sampled_metrics`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from recexplore.data.features import FeatureSpace, Vocabularies
from recexplore.data.movielens import MovieLens
from recexplore.data.splits import Split
from recexplore.evaluation.sampled import Sampling
from recexplore.families import family


def retrieval_sampled(
    model: keras.Model, space: FeatureSpace, split: Split, data: MovieLens, samplings: Sequence[Sampling]
) -> dict[str, float]:
    """A retrieval model's hit rates, full and sampled, beside popularity's and EASE's (EASE's lambda:
    its split's cached report, chosen once on the validation slice)."""
    from recexplore.evaluation.accuracy import retrieval_report
    from recexplore.evaluation.ease_report import cached_report, ease_hits
    from recexplore.evaluation.scoring import tower_scores
    from recexplore.models.ease import fit_ease

    seen = space.interaction_csr(split.train)
    users = space.user_index(split.test["user_id"])
    items = space.movie_index(split.test["movie_id"])
    stars = split.test["user_rating"].to_numpy()
    report = retrieval_report(tower_scores(model, space), seen, users, items, stars, samplings)
    lam = cached_report(data, split, split.seed)["ease_lambda"]
    report.update(ease_hits(fit_ease(seen, lam).score_rows(seen), seen, users, items, samplings))
    return report


def next_item_sampled(
    model: keras.Model, space: FeatureSpace, split: Split, data: MovieLens, samplings: Sequence[Sampling]
) -> dict[str, float]:
    """A next-movie model's hit rates and NDCG, full and sampled, beside its three peers'."""
    from recexplore.evaluation.scoring import next_item_metrics

    return next_item_metrics(model, space, split, samplings=samplings)


def measure_loaded(
    kind: str,
    model: keras.Model,
    meta: dict[str, Any],
    data: MovieLens,
    vocab: Vocabularies,
    samplings: Sequence[Sampling],
) -> dict[str, float]:
    """A loaded model's full and sampled metrics (and its peers') on the split it was trained on;
    ValueError for a family whose task has none, or an N the split cannot give."""
    from recexplore.evaluation.scoring import prepare_loaded

    space, split = prepare_loaded(kind, model, meta, data, vocab)
    return measure_prepared(kind, model, space, split, data, samplings)


def measure_prepared(
    kind: str, model: keras.Model, space: FeatureSpace, split: Split, data: MovieLens, samplings: Sequence[Sampling]
) -> dict[str, float]:
    """`measure_loaded` for a model whose feature space and split are already rebuilt."""
    task = family(kind).task
    if task.sampled_metrics is None:
        raise ValueError(f"a {kind} model has no sampled metrics: choose a retrieval or next-movie model")
    return task.behaviour("sampled_metrics")(model, space, split, data, tuple(samplings))
