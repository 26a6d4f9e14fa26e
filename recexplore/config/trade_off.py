"""The multi-task trade-off view's retrieval weights (the loss is w * retrieval + (1 - w) * rating):
the command line's default and the page's choices."""

from __future__ import annotations

TRADE_OFF_WEIGHTS: tuple[float, ...] = (0.0, 0.1, 0.5, 0.9, 1.0)
BALANCED = 0.5  # the weight the trade-off's sentence reads


def parse_weights(text: str) -> tuple[float, ...]:
    """'0,0.5,1' -> (0.0, 0.5, 1.0), sorted and without repeats; ValueError (one line) for a weight
    that is not a number from 0 to 1, or for none at all."""
    weights = set()
    for part in (p.strip() for p in str(text).split(",")):
        try:
            value = float(part)
        except ValueError:
            raise ValueError(f"a retrieval weight must be a number from 0 to 1, got {part!r}") from None
        if not 0.0 <= value <= 1.0:  # NaN fails too
            raise ValueError(f"a retrieval weight must be a number from 0 to 1, got {part!r}")
        weights.add(value)
    return tuple(sorted(weights))
