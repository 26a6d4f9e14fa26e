"""Will a training configuration fit in this machine's memory? Checked before anything is allocated."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

# Training-memory estimate (see `estimate_training_bytes`): float32 everywhere; weights,
# gradients and Adam's two moment slots; about four batch x batch tensors live at once in
# the in-batch softmax (measured: peak RSS grows by ~4.2-4.8 x 4 * batch**2 bytes at 4096-8192).
WEIGHT_COPIES = 4
ACTIVATION_COPIES = 3
IN_BATCH_COPIES = 4
EASE_COPIES = 8  # float64 Gram, its Cholesky factor, P and B of an items x items EASE fit


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


def ranking_bytes(vocab_sizes: dict[str, int], train_rows: int) -> int:
    """What a full-ranking evaluation holds beside the model: one batch of float64 score rows
    (never more than every user's: `evaluation.ScoreRows`) and the sparse 0/1 training matrices
    (CSR), per training rating; nothing per users x movies cell."""
    from recexplore.data.features import CSR_BYTES_PER_RATING
    from recexplore.evaluation.accuracy import SCORE_BATCH_BYTES

    cells = vocab_sizes.get("user_id", 1) * vocab_sizes.get("movie_id", 1)
    return min(SCORE_BATCH_BYTES, cells * 8) + CSR_BYTES_PER_RATING * int(train_rows)


def estimate_training_bytes(kind: str, config: Any, vocab_sizes: dict[str, int], train_rows: int) -> int:
    """A rough lower estimate of the memory that training `config` of family `kind` needs."""
    from recexplore.families import family

    return int(family(kind).memory_bytes(config, vocab_sizes, train_rows))


def check_training_memory(kind: str, config: Any, vocab_sizes: dict[str, int], train_rows: int) -> None:
    """Raise ResourceError when training `config` would need more memory than is available now."""
    needed = estimate_training_bytes(kind, config, vocab_sizes, train_rows)
    available = available_bytes()
    if needed > available:
        raise ResourceError(
            f"not enough memory: training this {kind} model needs about {_size(needed)} but only "
            f"{_size(available)} is available"
        )


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


def _size(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:.1f} MiB"
