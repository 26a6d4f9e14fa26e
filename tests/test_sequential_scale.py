"""Next-movie evaluation at any catalogue size: the model's and the peers' scores read a batch of
users at a time give exactly the one-piece numbers; the transition counts are sparse; the EASE
peer fits the most-rated movies of a large catalogue; the memory estimate holds nothing per
users x movies cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recexplore.config import memory
from recexplore.config.memory import CSR_BYTES_PER_RATING, TRANSITION_BYTES_PER_RATING, WEIGHT_COPIES
from recexplore.data.features import FeatureSpace
from recexplore.data.loading import load_movielens
from recexplore.data.splits import LAST_OUT, make_split
from recexplore.evaluation.list_metrics import top_k
from recexplore.evaluation.next_item import next_item_report, peer_reports, split_arrays
from recexplore.evaluation.scoring import history_features, next_item_metrics
from recexplore.families import family
from recexplore.models import ease
from recexplore.models.score_rows import ScoreRows
from recexplore.models.transitions import TRANSITION_TIE_WEIGHT, transition_scores
from recexplore.training.memory import estimate_training_bytes
from recexplore.training.trainer import train

TINY = 3  # users per batch in the batched runs


def _dense_transitions(seqs: list[np.ndarray], n_items: int, seen: np.ndarray) -> np.ndarray:
    """The one-piece reference: dense counts of b right after a, read at each user's last movie."""
    counts = np.zeros((n_items, n_items), dtype=np.float32)
    for s in seqs:
        if len(s) > 1:
            np.add.at(counts, (s[:-1], s[1:]), 1.0)
    popularity = seen.sum(axis=0).astype(np.float32)
    tie = TRANSITION_TIE_WEIGHT * popularity / max(float(popularity.max()), 1.0)
    last = np.array([s[-1] if len(s) else 0 for s in seqs])
    scores = counts[last] + tie[None, :]
    scores[last == 0] = tie
    return scores


def test_sparse_transitions_equal_the_dense_counts_in_any_batch() -> None:
    rng = np.random.default_rng(4)
    n_items = 40
    seqs = [rng.integers(1, n_items, rng.integers(0, 12)) for _ in range(30)]
    seen = np.zeros((30, n_items), dtype=np.int8)
    for user, s in enumerate(seqs):
        seen[user, s] = 1
    reference = _dense_transitions(seqs, n_items, seen)
    rows = transition_scores(seqs, n_items, seen)
    assert rows.shared is None and rows.table.nnz <= sum(max(len(s) - 1, 0) for s in seqs)
    np.testing.assert_array_equal(rows.full(), reference)
    users, targets = np.arange(30), rng.integers(1, n_items, 30)
    tiny = ScoreRows.of(rows, batch=TINY)
    assert next_item_report(tiny, seen, users, targets) == next_item_report(reference, seen, users, targets)
    np.testing.assert_array_equal(top_k(tiny, users, seen, 10), top_k(reference, users, seen, 10))


@pytest.fixture(scope="module")
def trained(ml_folder: Path) -> Any:
    data = load_movielens(ml_folder)
    split = make_split(data, LAST_OUT)
    config = family("sequential").make_config("gru", embedding_dim=8, max_len=6, epochs=1)
    result = train("sequential", data, split, config)
    return result, FeatureSpace(result.vocab, data), split


def test_next_movie_metrics_in_tiny_batches_equal_the_one_piece_scores(
    trained: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, space, split = trained
    model, arrays = result.model, split_arrays(space, split)
    whole = next_item_metrics(model, space, split, arrays)
    query = model.query_embeddings(history_features(model, space, arrays["histories"]))
    candidates = model.candidate_embeddings({"movie_id": np.arange(space.n_movies), "genres": space.movies["genres"]})
    dense_seen = arrays["seen"].toarray()
    one_piece = next_item_report(query @ candidates.T, dense_seen, arrays["users"], arrays["targets"])
    assert {k: whole[k] for k in one_piece} == one_piece
    assert {k: result.metrics[k] for k in whole} == whole  # what training stored
    monkeypatch.setattr(memory, "SCORE_BATCH_BYTES", TINY * space.n_movies * 8)
    assert next_item_metrics(model, space, split, arrays) == whole


def test_the_ease_peer_fits_the_most_rated_movies_of_a_large_catalogue(
    trained: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, space, split = trained
    assert ease.ITEMS_KEY not in peer_reports(space, split)
    monkeypatch.setattr(memory, "EASE_MIN_ITEMS", 10)
    monkeypatch.setattr(memory, "ease_item_cap", lambda available=None: 30)
    part = peer_reports(space, split)
    assert part[ease.ITEMS_KEY] == 30 and 0 <= part["ease_next_hit_rate_at_10"] <= 1


def test_the_memory_estimate_grows_with_ratings_not_users_x_movies() -> None:
    config = family("sequential").make_config("sasrec")
    ml25m = {"user_id": 162_542, "movie_id": 62_424, "genre": 21, "user_gender": 3, "age_bucket": 8}
    rows = 20_000_000
    estimate = estimate_training_bytes("sequential", config, ml25m, rows)
    assert estimate < 8 << 30  # 10G users x movies cells: 80 GB as one float64 score matrix
    more = estimate_training_bytes("sequential", config, ml25m, rows + 1000)
    assert more - estimate == (CSR_BYTES_PER_RATING + TRANSITION_BYTES_PER_RATING) * 1000
    wider = estimate_training_bytes("sequential", config, {**ml25m, "user_id": 2 * 162_542}, rows)
    # Twice the users: the user table's weights, gradients and Adam slots more, nothing per cell.
    assert wider - estimate == 162_542 * config.embedding_dim * 4 * WEIGHT_COPIES


def test_the_ease_peer_lambda_is_searched_once_per_training_part(trained: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from recexplore.evaluation import next_item

    _, space, split = trained
    searches: list[int] = []
    search = next_item.choose_lambda
    monkeypatch.setattr(next_item, "choose_lambda", lambda *a, **k: searches.append(1) or search(*a, **k))
    first = next_item.ease_lambda_for(space, split.train)
    assert next_item.ease_lambda_for(space, split.train) == first and len(searches) == 1  # the cached choice
    other = split.train.iloc[: len(split.train) // 2]
    next_item.ease_lambda_for(space, other)
    assert len(searches) == 2  # other training rows: searched again
    cached = next(iter(sorted((next_item.cache_dir() / "baselines").glob("next-ease-lambda-*.json"))))
    for bad in ('{"lambda": -1}', "not json", '{"lambda": 123.0}'):
        for path in (next_item.cache_dir() / "baselines").glob("next-ease-lambda-*.json"):
            path.write_text(bad)
        assert next_item.ease_lambda_for(space, split.train) == first  # a bad cache entry: searched again
    assert len(searches) == 5 and cached.is_file()
