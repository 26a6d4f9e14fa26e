"""TrainRequest: what one training job is asked to do (typed, validated, small enough to ship to a worker)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from recexplore.data.movielens import MAX_SEED
from recexplore.families import family


@dataclass(frozen=True)
class TrainRequest:
    """One training job: the model kind and config, the split and the seed.

    Attributes:
        kind: the model family ('dlrm', 'dcn', 'towers', ...).
        config: the model's config (its type must be the family's).
        split: split name ('random', 'u1', ...), rebuilt from the data by the worker.
        seed: split and training seed.
        label: a short description for the pages ("DLRM dim 32, 5 epochs").
        preset: the family's preset name when the request is one of a comparison's presets.
    """

    kind: str
    config: Any
    split: str = "random"
    seed: int = 42
    label: str = ""
    preset: str | None = None

    def __post_init__(self) -> None:
        expected = family(self.kind).config  # ValueError naming the families for an unknown kind
        if not isinstance(self.config, expected):
            raise ValueError(
                f"config must be a {expected.__name__} for kind {self.kind!r}, got {type(self.config).__name__}"
            )
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be a whole number from 0 to {MAX_SEED}, got {self.seed!r}")
        if not isinstance(self.split, str) or not self.split:
            raise ValueError(f"split must be a split name such as 'random' or 'u1', got {self.split!r}")

    @property
    def epochs(self) -> int:
        """Epochs asked for (the progress bar's denominator)."""
        return int(self.config.epochs)

    def describe(self) -> dict[str, Any]:
        """Plain values for logs and tables."""
        return {
            "kind": self.kind,
            "config": self.config.to_dict(),
            "split": self.split,
            "seed": self.seed,
            "label": self.label,
            "preset": self.preset,
        }
