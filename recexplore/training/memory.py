"""Will a training fit in memory now? The family's estimate against what the machine has, checked before anything is allocated."""

from __future__ import annotations

from typing import Any

from recexplore.config.memory import ResourceError, available_bytes
from recexplore.config.text import byte_size


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
            f"not enough memory: training this {kind} model needs about {byte_size(needed)} but only "
            f"{byte_size(available)} is available"
        )
