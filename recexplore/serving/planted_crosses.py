"""Reading a planted-crosses run (training/planted_crosses.py) the way the Feature interactions page
reads a DCN: its strongest pairs (serving.interactions), and which of them were planted."""

from __future__ import annotations

from recexplore.data.planted import pair_label
from recexplore.serving.interactions import strongest_pairs
from recexplore.training.planted_crosses import PlantedResult


def top_pairs(result: PlantedResult) -> list[tuple[int, int]]:
    """The cross layer's strongest pairs, as many as were planted, strongest first, as (i, j), i < j."""
    index = {name: k for k, name in enumerate(result.names)}
    top = strongest_pairs(list(result.names), result.strengths, n=len(result.spec.pairs))
    return [tuple(sorted((index[a], index[b]))) for a, b, _ in top]  # type: ignore[misc]


def found_sentence(result: PlantedResult) -> str:
    """'Its N strongest pairs are the N planted ones.', or which planted pairs it missed."""
    planted = set(result.spec.pairs)
    top = top_pairs(result)
    hits = [p for p in top if p in planted]
    n = len(planted)
    if len(hits) == n:
        return f"Its {n} strongest pair{'s are' if n > 1 else ' is'} the planted one{'s' if n > 1 else ''}."
    missed = ", ".join(pair_label(p) for p in sorted(planted - set(hits)))
    return f"Of its {n} strongest pairs, {len(hits)} {'is' if len(hits) == 1 else 'are'} planted; it missed {missed}."
