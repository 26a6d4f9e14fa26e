"""The one metric table: each metric's key, plain name, one-line meaning, direction, range and where
its formula is documented. JSON results carry the keys; pages, tables and docs read the rest here.

It is plain data in `config`, the lowest stage, because the task table (`families`) reads the direction
of its headline metric from it, and the task table sits below `evaluation`, which computes them.
A peer's figure carries the peer's prefix (`popularity_hit_rate_at_10`): `metric` resolves it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

STARS = (0.0, 4.0)  # an error in stars on a 1-5 (or 0.5-5) scale
SHARE = (0.0, 1.0)
EVALUATION_DOC = "docs/evaluation.md"


@dataclass(frozen=True)
class Metric:
    """One metric, declared once.

    Attributes:
        key: the key results, histories and `--json` carry.
        label: its plain name on pages and in tables.
        meaning: one sentence on what it measures.
        higher_is_better: its direction; None for a count or a setting (epochs run, lambda).
        low, high: the range its values lie in (None: unbounded on that side).
        doc: where its formula is written out (a section of docs/evaluation.md).
    """

    key: str
    label: str
    meaning: str
    higher_is_better: bool | None
    low: float | None = 0.0
    high: float | None = None
    doc: str = EVALUATION_DOC


def _error(key: str, label: str, meaning: str, doc: str = "#ratings-and-top-k-lists") -> Metric:
    return Metric(key, label, meaning, False, *STARS, EVALUATION_DOC + doc)


def _share(key: str, label: str, meaning: str, doc: str, higher_is_better: bool | None = True) -> Metric:
    return Metric(key, label, meaning, higher_is_better, *SHARE, EVALUATION_DOC + doc)


_TABLE = (
    _error(
        "test_rmse",
        "Rating error (RMSE)",
        "Root mean squared error of the predicted stars on held-out ratings, in stars; lower is better.",
    ),
    _error(
        "global_mean_rmse",
        "Baseline: global mean (RMSE)",
        "RMSE of predicting the training part's average rating for everyone, on the same held-out ratings: the floor any model must beat.",
        "#rating-baselines",
    ),
    _error(
        "bias_only_rmse",
        "Baseline: bias only (RMSE)",
        "RMSE of average + user offset + movie offset, fitted by ridge regression on the training part: what a model learns beyond 'who rates high, what is liked'.",
        "#rating-baselines",
    ),
    _error(
        "test_mae", "Mean absolute error", "Average distance between predicted and actual stars on held-out ratings."
    ),
    _error("rmse", "Training error (RMSE)", "RMSE on the ratings the model trains on, after each epoch."),
    _error(
        "val_rmse",
        "Validation error (RMSE)",
        "RMSE on a slice of the training part held back from training: it rising while training error falls means overfitting.",
    ),
    _error(
        "best_val_rmse",
        "Best validation error (RMSE)",
        "The lowest validation RMSE over the epochs: early stopping keeps the weights of that epoch.",
    ),
    _share(
        "hit_rate_at_10",
        "Hit-rate@10",
        "Share of held-out ratings whose movie is in the user's top 10 recommendations (movies the user already rated excluded); higher is better.",
        "#ratings-and-top-k-lists",
    ),
    _share(
        "hit_rate_at_100",
        "Hit-rate@100",
        "As hit-rate@10, with the top 100 of every movie in the catalogue.",
        "#ratings-and-top-k-lists",
    ),
    _share(
        "seed_top100_accuracy",
        "Tutorial top-100 accuracy (5-star)",
        "The KerasRS tutorial's metric: share of held-out 5-star ratings in the top 100, already-rated movies not excluded.",
        "#ratings-and-top-k-lists",
    ),
    _share(
        "seed_top100_accuracy_all",
        "Tutorial top-100 accuracy (all)",
        "The TFRS tutorial's metric: share of all held-out ratings in the top 100, already-rated movies not excluded.",
        "#ratings-and-top-k-lists",
    ),
    _share(
        "ndcg_at_10",
        "NDCG@10",
        "Ranking quality of the top 10: held-out movies count more the higher they are listed (1 / log2(rank + 1)), divided by the best possible order; 1 is perfect.",
        "#list-metrics",
    ),
    _share(
        "mrr_at_10",
        "MRR@10",
        "1 / the rank of the first held-out movie in the top 10 (0 if none), averaged over users.",
        "#list-metrics",
    ),
    _share(
        "catalog_coverage_at_10",
        "Catalogue coverage@10",
        "Share of all movies that appear in at least one user's top 10: low means a few movies for everyone.",
        "#list-metrics",
    ),
    _share(
        "gini_at_10",
        "Gini@10",
        "Inequality of how often each movie is recommended across all top-10 lists: 0 even, 1 all in one movie.",
        "#list-metrics",
        higher_is_better=False,
    ),
    Metric(
        "popularity_percentile_at_10",
        "Popularity percentile@10",
        "Mean training-popularity percentile of the recommended movies (100: the most-rated movie): popularity bias.",
        False,
        0.0,
        100.0,
        EVALUATION_DOC + "#list-metrics",
    ),
    Metric(
        "novelty_at_10",
        "Novelty@10",
        "Mean self-information -log2(share of users who rated the movie) of the recommendations, in bits: higher means less obvious picks.",
        True,
        0.0,
        None,
        EVALUATION_DOC + "#list-metrics",
    ),
    _share(
        "diversity_at_10",
        "Diversity@10",
        "1 - mean pairwise cosine similarity of the genres within a user's top 10 (genre vectors, model-free).",
        "#list-metrics",
    ),
    _share(
        "personalization_at_10",
        "Personalisation@10",
        "1 - mean Jaccard overlap of two users' top 10, over 2,000 sampled pairs: 0 means everyone gets the same list.",
        "#list-metrics",
    ),
    _share(
        "list_ndcg_at_5",
        "List NDCG@5",
        "How well the model orders each test user's own held-out movies: the stars as gains, 1 / log2(rank + 1) discounts over the top 5, divided by the star order's; 1 is perfect.",
        "#held-out-lists",
    ),
    _share(
        "list_ndcg_at_10",
        "List NDCG@10",
        "As list NDCG@5, over the top 10 of each test user's held-out movies.",
        "#held-out-lists",
    ),
    _share(
        "list_mrr",
        "List MRR (first 5-star)",
        "1 / the rank of the first 5-star movie when a test user's held-out movies are ordered by the model, averaged over users with one.",
        "#held-out-lists",
    ),
    _share(
        "next_hit_rate_at_10",
        "Next-movie hit rate@10",
        "Share of users whose held-out next movie is in their top 10 (every movie ranked, the history excluded).",
        "#next-movie-time-ordered-splits",
    ),
    _share(
        "next_hit_rate_at_100",
        "Next-movie hit rate@100",
        "As next-movie hit rate@10, with the top 100.",
        "#next-movie-time-ordered-splits",
    ),
    _share(
        "next_ndcg_at_10",
        "Next-movie NDCG@10",
        "1 / log2(rank + 1) of the held-out next movie when it is in the top 10 (else 0), averaged over users.",
        "#next-movie-time-ordered-splits",
    ),
    _share(
        "sampled_hit_rate_at_10",
        "Sampled hit rate@10 (uniform)",
        "The papers' protocol: share of test cases whose held-out movie (the next movie, for next-movie models) ranks in the top 10 among itself and N movies its user never rated, drawn uniformly (N = 100 unless `sampled_n` says fewer).",
        "#sampled-against-full-ranking",
    ),
    _share(
        "sampled_ndcg_at_10",
        "Sampled NDCG@10 (uniform)",
        "1 / log2(rank + 2) of the held-out movie's 0-based rank among itself and the N uniformly sampled movies when below 10 (else 0), averaged over test cases.",
        "#sampled-against-full-ranking",
    ),
    _share(
        "sampled_pop_hit_rate_at_10",
        "Sampled hit rate@10 (popularity)",
        "As sampled hit rate@10, the N movies drawn in proportion to how often they were rated in training.",
        "#sampled-against-full-ranking",
    ),
    _share(
        "sampled_pop_ndcg_at_10",
        "Sampled NDCG@10 (popularity)",
        "As sampled NDCG@10, the N movies drawn in proportion to how often they were rated in training.",
        "#sampled-against-full-ranking",
    ),
    Metric(
        "sampled_n",
        "Sampled movies per test case",
        "N, the movies each held-out movie is ranked against in the sampled metrics (100, or the most every test user has left unrated on a small catalogue).",
        None,
        1.0,
        None,
        EVALUATION_DOC + "#sampled-against-full-ranking",
    ),
    _share(
        "recall_vs_exact",
        "Recall@k vs exact",
        "Share of the exact top-k list (brute force over every movie) that a list served through an approximate index holds; 1: the index lost nothing.",
        "#approximate-retrieval",
    ),
    Metric(
        "epochs_run",
        "Epochs run",
        "Epochs actually trained (fewer than asked when stopped early or cancelled).",
        None,
        0.0,
        None,
    ),
    Metric(
        "lambda",
        "Regularisation (lambda)",
        "EASE's L2 strength, chosen on a validation slice of the training part.",
        None,
        0.0,
        None,
        EVALUATION_DOC + "#ease",
    ),
    Metric("loss", "Training loss", "The objective the optimiser minimises, per epoch.", False, None, None),
    Metric("val_loss", "Validation loss", "The objective on the held-back validation slice.", False, None, None),
)
METRICS: dict[str, Metric] = {m.key: m for m in _TABLE}

POPULARITY, EASE, TRANSITION, BIAS_ONLY = "popularity_", "ease_", "transition_", "bias_only_"  # the peers' prefixes
# A peer's figures: its prefix -> (its name, one sentence on what it is).
PEERS: dict[str, tuple[str, str]] = {
    POPULARITY: ("Popularity", "The popularity baseline (the most-rated movies for everyone)."),
    EASE: ("EASE", "EASE, a closed-form linear item-item baseline, on the same split."),
    TRANSITION: ("Transitions", "What people watch right after the movie a user watched last, on the same split."),
    BIAS_ONLY: ("Bias only", "The bias-only fit (average + user offset + movie offset) ordering the same lists."),
}
RATING_BASELINES = ("bias_only_rmse", "global_mean_rmse")  # the lines every RMSE is read against


def metric(key: str) -> Metric | None:
    """The metric `key` names, a peer's prefix resolved ('popularity_hit_rate_at_10': Popularity's
    hit-rate@10); None for a key no metric has."""
    if key in METRICS:  # first: `popularity_percentile_at_10` is the model's own
        return METRICS[key]
    for prefix, (name, what) in PEERS.items():
        if key.startswith(prefix) and (own := metric(key[len(prefix) :])) is not None:
            return replace(own, key=key, label=f"{name}: {own.label}", meaning=f"{what} {own.meaning}")
    return None


def label(key: str) -> str:
    """The plain name of a metric key; the key itself when no metric has it."""
    found = metric(key)
    return found.label if found else key


def explain(key: str) -> str:
    """One sentence on what a metric key means ('' when no metric has it)."""
    found = metric(key)
    return found.meaning if found else ""


def table_markdown() -> str:
    """The table as docs/evaluation.md shows it (a test holds the two equal)."""
    rows = ["| key | name | direction | range | meaning |", "|---|---|---|---|---|"]
    for m in _TABLE:
        direction = {True: "higher is better", False: "lower is better", None: "-"}[m.higher_is_better]
        span = f"{'' if m.low is None else f'{m.low:g}'} to {'' if m.high is None else f'{m.high:g}'}".strip()
        section = m.doc.partition("#")[2]
        meaning = f"{m.meaning} ([formula](#{section}))" if section else m.meaning
        rows.append(f"| `{m.key}` | {m.label} | {direction} | {span if span != 'to' else '-'} | {meaning} |")
    peers = ", ".join(f"`{prefix}` ({name})" for prefix, (name, _) in PEERS.items())
    return "\n".join(rows) + f"\n\nA peer's figure carries its prefix before the key: {peers}.\n"
