"""The one memory cost model: every bytes-per-unit figure the library budgets with, what this machine
has free now (cgroup-aware), and what a large catalogue is.

Every stage reads it (loading refuses a data set that cannot fit, training a config it cannot hold,
EASE caps its items, evaluation batches its score rows), so it imports nothing of the library. The
figures were measured (bench/memory_bench.py, bench/scale_bench.py): change one here and only here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------- what this process may still allocate


def available_bytes() -> int:
    """Memory this process may still allocate: psutil's available memory, bounded by the
    container's cgroup limit where there is one."""
    import psutil

    available = int(psutil.virtual_memory().available)
    limited = cgroup_available()
    return available if limited is None else min(available, limited)


CGROUP_ROOT = Path("/sys/fs/cgroup")


def cgroup_available(root: Path = CGROUP_ROOT) -> int | None:
    """Bytes this container may still allocate under its cgroup memory limit (v2, else v1), or
    None when there is no limit. Host memory alone overstates it inside a container: a job
    that passed a host-memory check was once killed silently (exit 137) at its 1.5 GiB limit."""
    for limit_file, usage_file in (
        ("memory.max", "memory.current"),  # cgroup v2
        ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes"),
    ):  # v1
        try:
            limit_text = (root / limit_file).read_text().strip()
            usage = int((root / usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        if limit_text == "max" or not limit_text.isdigit() or int(limit_text) >= 1 << 60:  # v1 "no limit" is huge
            return None
        return max(int(limit_text) - usage, 0)
    return None


# ---------------------------------------------------------------- loading a data set


# Loading holds about this many bytes per rating at its peak (the C parser's int64/float64
# columns, the int32/float32 frame and the parse cache's arrays: 2.5 GB for 25M ratings, measured
# by bench/scale_bench.py and `/usr/bin/time -v python -m recexplore data --json`).
LOAD_BYTES_PER_RATING = 100


MEMORY_SHARE = 0.8  # of the memory available now, what loading may use


def load_bytes(n_ratings: int) -> int:
    """About how much memory loading `n_ratings` ratings takes at its peak."""
    return int(n_ratings) * LOAD_BYTES_PER_RATING


# ---------------------------------------------------------------- model inputs


# The most bytes of model inputs built in one piece (fit's arrays, one chunk of predictions).
# Streaming costs time (measured on 1M ratings, one DLRM epoch, 2 cores: 42 s whole, 54 s streamed
# with two loader threads, 83 s with one), so it starts only where the memory matters: the DLRM's
# inputs pass 1 GiB above about 11M ratings (ML-20M, ML-25M; not 10M).
INPUT_BYTES_IN_ONE_PIECE = 1 << 30


# ---------------------------------------------------------------- training


# Training-memory estimate (see `estimate_training_bytes`): float32 everywhere; weights,
# gradients and Adam's two moment slots; about four batch x batch tensors live at once in
# the in-batch softmax (measured: peak RSS grows by ~4.2-4.8 x 4 * batch**2 bytes at 4096-8192).
WEIGHT_COPIES = 4


ACTIVATION_COPIES = 3


IN_BATCH_COPIES = 4


class ResourceError(ValueError):
    """A configuration this machine cannot hold; the message is one line and names the knobs."""


def batch_rows(config: Any, train_rows: int) -> int:
    """The rows of one training batch (never more than the training part)."""
    return max(1, min(int(config.batch_size), int(train_rows)))


def training_bytes(
    config: Any,
    vocab_sizes: dict[str, int],
    train_rows: int,
    stacks: Sequence[Sequence[int]],
    extra_activations: int = 0,
    extra_scores: int = 0,
    bytes_per_cell: float = 8.0,
) -> int:
    """The memory every family's training needs at least, with its dense `stacks` (each the
    widths from its input to its output) and what else the family holds per batch or in all.

    Counts the embedding tables and dense kernels (weights, gradients, two Adam slots), the
    per-batch activations, and what the family holds per users x movies cell (`bytes_per_cell`:
    8 for a float32 score matrix made in one piece and a copy, as the next-movie evaluation;
    5 for a rating model's exact 0/1 history and its float32 cast; 0 where nothing is).
    """
    dim = int(config.embedding_dim)
    batch = batch_rows(config, train_rows)
    params = sum(vocab_sizes.values()) * dim + sum(a * b for widths in stacks for a, b in pairwise(widths))
    activations = batch * len(vocab_sizes) * dim * ACTIVATION_COPIES
    activations += batch * sum(sum(widths[1:]) for widths in stacks) * ACTIVATION_COPIES + extra_activations
    cells = vocab_sizes.get("user_id", 1) * vocab_sizes.get("movie_id", 1)
    return 4 * (params * WEIGHT_COPIES + activations + extra_scores) + int(cells * bytes_per_cell)


# ---------------------------------------------------------------- full-ranking evaluation


# Score rows (counted at 8 bytes a score) one evaluation batch holds: memory is bounded at any catalogue
# (a batch's working copies for masking and partitioning take about 3x this at its peak).
SCORE_BATCH_BYTES = 256 << 20


# Bytes a retrieval training holds per training rating for its sparse 0/1 matrices: an int32 column
# index and a bool value in the training's CSR matrix and again in its evaluation target's (`interaction_csr`).
CSR_BYTES_PER_RATING = 12


def ranking_bytes(vocab_sizes: dict[str, int], train_rows: int) -> int:
    """What a full-ranking evaluation holds beside the model: one batch of float64 score rows
    (never more than every user's: `models.score_rows.ScoreRows`) and the sparse 0/1 training matrices
    (CSR), per training rating; nothing per users x movies cell."""
    cells = vocab_sizes.get("user_id", 1) * vocab_sizes.get("movie_id", 1)
    return min(SCORE_BATCH_BYTES, cells * 8) + CSR_BYTES_PER_RATING * int(train_rows)


# Bytes the transition peer holds per training rating while its counts are built: the int64
# (before, after) pairs and their sparse matrix (a float32 count and int32 row and column each).
TRANSITION_BYTES_PER_RATING = 28


# ---------------------------------------------------------------- ease


EASE_COPIES = 8  # an items x items EASE fit's Gram, Cholesky factor, P and B, counted as float64: an upper bound (the fit is float32)


EASE_MAX_ITEMS = 10_000  # the most movies one EASE fit holds (the most-rated ones), whatever the memory


EASE_MIN_ITEMS = 4_000  # a catalogue of at most this many movies is always fitted whole


EASE_MEMORY_SHARE = 0.5  # the share of the available memory an EASE fit's items x items matrices may take
# The most movies EASE's lambda search fits (the most-rated ones): it solves once per lambda of its
# grid, so on a 10,000-movie catalogue a whole-catalogue search cost seven times the fit that follows
# (issue 33: 637 s beside a 64 s model). At most this many, the search is the whole catalogue (ML-100K,
# ML-1M: unchanged); above it, seven solves of this size and one full fit.
EASE_SEARCH_ITEMS = 4_000


def ease_item_cap(available: int | None = None) -> int:
    """M, the most movies one EASE fit holds: EASE_COPIES float64 M x M matrices in
    EASE_MEMORY_SHARE of `available` bytes (default: `available_bytes()`, free now),
    between EASE_MIN_ITEMS and EASE_MAX_ITEMS."""
    available = available_bytes() if available is None else available
    by_memory = math.isqrt(int(available * EASE_MEMORY_SHARE) // (8 * EASE_COPIES))
    return max(EASE_MIN_ITEMS, min(EASE_MAX_ITEMS, by_memory))


# ---------------------------------------------------------------- a large catalogue


# A large catalogue: more than LARGE_CATALOGUE_CELLS users x movies cells (ML-100K: 1.6M, ML-1M:
# 22M, ML-10M: 750M, ML-25M: 10G). On one, what costs users x movies per step changes form: the
# rated-movies history becomes lists (below), the towers train without the EASE teacher, and the
# optimizer updates only the embedding rows a batch used (models/lazy_adam.py).
LARGE_CATALOGUE_CELLS = 50_000_000


def large_catalogue(n_users: int, n_movies: int) -> bool:
    """Whether users x movies passes LARGE_CATALOGUE_CELLS."""
    return int(n_users) * int(n_movies) > LARGE_CATALOGUE_CELLS


# The rated-movies features' representation: the exact users x movies 0/1 matrix on a catalogue
# that is not large (ML-100K, ML-1M), else each user's latest HISTORY_CAP
# movies and each movie's latest HISTORY_CAP raters (ML-10M: 750M cells, ML-25M: 10G). The matrix
# costs users x movies per training step; the lists cost batch x HISTORY_CAP, whatever the data.
# 64, not 256: a DLRM epoch on 1M synthetic ratings over 62K movies took 87 s (2.5 GB) against
# 306 s (5.8 GB), with the same test RMSE (0.829); ML-25M's median user has 71 ratings.
HISTORY_CAP = 64
# Users x movies cells a two-tower query tower with the user's history pools at once when scoring
# every user (each user's 0/1 row and its weights over the whole catalogue): 16M, 64 MB a copy.
POOL_BATCH_CELLS = 1 << 24
