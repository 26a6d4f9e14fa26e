"""Plain names and one-sentence explanations of every metric the app shows (one home for both)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

POPULARITY = "popularity_"
EASE = "ease_"
MISSING = "—"
RATING_BASELINES = ("bias_only_rmse", "global_mean_rmse")  # the lines every RMSE is read against

# key -> (plain name, what it means). Keys are the registry's metric and history keys.
METRICS: dict[str, tuple[str, str]] = {
    "test_rmse": (
        "Rating error (RMSE)",
        "Root mean squared error of the predicted stars on held-out ratings, in stars; lower is better.",
    ),
    "global_mean_rmse": (
        "Baseline: global mean (RMSE)",
        "RMSE of predicting the training part's average "
        "rating for everyone, on the same held-out ratings: the floor any model must beat.",
    ),
    "bias_only_rmse": (
        "Baseline: bias only (RMSE)",
        "RMSE of average + user offset + movie offset, fitted by ridge "
        "regression on the training part: what a model learns beyond 'who rates high, what is liked'.",
    ),
    "test_mae": ("Mean absolute error", "Average distance between predicted and actual stars on held-out ratings."),
    "rmse": ("Training error (RMSE)", "RMSE on the ratings the model trains on, after each epoch."),
    "val_rmse": (
        "Validation error (RMSE)",
        "RMSE on a slice of the training part held back from training: "
        "it rising while training error falls means overfitting.",
    ),
    "hit_rate_at_10": (
        "Hit-rate@10",
        "Share of held-out ratings whose movie is in the user's top 10 "
        "recommendations (movies the user already rated excluded); higher is better.",
    ),
    "hit_rate_at_100": ("Hit-rate@100", "As hit-rate@10, with the top 100 of about 1,680 movies."),
    "seed_top100_accuracy": (
        "Tutorial top-100 accuracy (5-star)",
        "The KerasRS tutorial's metric: share of "
        "held-out 5-star ratings in the top 100, already-rated movies not excluded.",
    ),
    "seed_top100_accuracy_all": (
        "Tutorial top-100 accuracy (all)",
        "The TFRS tutorial's metric: share of all held-out ratings in the top 100, already-rated movies not excluded.",
    ),
    "ndcg_at_10": (
        "NDCG@10",
        "Ranking quality of the top 10: held-out movies count more the higher they are listed "
        "(1 / log2(rank + 1)), divided by the best possible order; 1 is perfect.",
    ),
    "mrr_at_10": (
        "MRR@10",
        "1 / the rank of the first held-out movie in the top 10 (0 if none), averaged over users.",
    ),
    "catalog_coverage_at_10": (
        "Catalogue coverage@10",
        "Share of all movies that appear in at least one user's top 10: low means a few movies for everyone.",
    ),
    "gini_at_10": (
        "Gini@10",
        "Inequality of how often each movie is recommended across all top-10 lists: 0 even, 1 all in one movie.",
    ),
    "popularity_percentile_at_10": (
        "Popularity percentile@10",
        "Mean training-popularity percentile of the recommended movies (100: the most-rated movie): popularity bias.",
    ),
    "novelty_at_10": (
        "Novelty@10",
        "Mean self-information -log2(share of users who rated the movie) of the recommendations, in bits: "
        "higher means less obvious picks.",
    ),
    "diversity_at_10": (
        "Diversity@10",
        "1 - mean pairwise cosine similarity of the genres within a user's top 10 (genre vectors, model-free).",
    ),
    "personalization_at_10": (
        "Personalisation@10",
        "1 - mean Jaccard overlap of two users' top 10, over 2,000 sampled pairs: 0 means everyone gets the same list.",
    ),
    "next_hit_rate_at_10": (
        "Next-movie hit rate@10",
        "Share of users whose held-out next movie is in their top 10 (every movie ranked, the history excluded).",
    ),
    "next_hit_rate_at_100": ("Next-movie hit rate@100", "As next-movie hit rate@10, with the top 100."),
    "next_ndcg_at_10": (
        "Next-movie NDCG@10",
        "1 / log2(rank + 1) of the held-out next movie when it is in the top 10 (else 0), averaged over users.",
    ),
    "best_val_rmse": (
        "Best validation error (RMSE)",
        "The lowest validation RMSE over the epochs: early stopping keeps the weights of that epoch.",
    ),
    "epochs_run": ("Epochs run", "Epochs actually trained (fewer than asked when stopped early or cancelled)."),
    "lambda": ("Regularisation (lambda)", "EASE's L2 strength, chosen on a validation slice of the training part."),
    "loss": ("Training loss", "The objective the optimiser minimises, per epoch."),
    "val_loss": ("Validation loss", "The objective on the held-back validation slice."),
}


def label(key: str) -> str:
    """The plain name of a metric key (popularity_ keys: 'Popularity: ...'); the key itself if unknown."""
    if key in METRICS:  # first: `popularity_percentile_at_10` is the model's own
        return METRICS[key][0]
    if key.startswith(POPULARITY):
        return f"Popularity: {label(key[len(POPULARITY) :])}"
    if key.startswith(EASE):
        return f"EASE: {label(key[len(EASE) :])}"
    return METRICS.get(key, (key, ""))[0]


def explain(key: str) -> str:
    """One sentence on what a metric key means ('' if unknown)."""
    if key in METRICS:
        return METRICS[key][1]
    if key.startswith(POPULARITY):
        base = explain(key[len(POPULARITY) :])
        return f"The popularity baseline (the most-rated movies for everyone). {base}".strip()
    if key.startswith(EASE):
        base = explain(key[len(EASE) :])
        return f"EASE, a closed-form linear item-item baseline, on the same split. {base}".strip()
    return METRICS.get(key, ("", ""))[1]


def metric_rows(metrics: Mapping[str, Any]) -> list[dict[str, str]]:
    """One row per metric for a table: plain name, value (4 decimals, or '—') and meaning."""
    return [{"metric": label(k), "value": show(v), "what it means": explain(k)} for k, v in metrics.items()]


def show(value: Any, digits: int = 4) -> str:
    """A table cell: numbers to `digits` decimals (integers as they are), '—' for missing."""
    if value is None:
        return MISSING
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):  # NaN or infinite: nothing to show
        return MISSING
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{float(value):.{digits}f}"
