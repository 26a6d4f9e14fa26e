"""Metrics as a page shows them: table rows and cells (names and meanings come from `config.metrics`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recexplore.config.metrics import explain, label

MISSING = "—"


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
