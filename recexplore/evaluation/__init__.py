"""The numbers every page and benchmark speaks in (their names and meanings: `config.metrics`).
Imports `config`, `families`, `data`, `models`.

- `accuracy` (RMSE, MAE, hit rate, seed accuracy), `list_metrics`, `list_overlap`, `beyond` (slices),
  `next_item`: the metrics themselves, a batch of users at a time.
- `rating_peers`, `ease_report`: the peers' reports; `scoring`: a trained model's test metrics.
- `significance`, `tower_comparison`, `ranker_comparison`: models side by side, with paired tests.
"""

from __future__ import annotations

from recexplore import lazy_exports

_EXPORTS = {
    "rmse": "accuracy",
    "mae": "accuracy",
    "hits_at": "accuracy",
    "retrieval_report": "accuracy",
    "evaluate_loaded": "scoring",
    "pairwise_verdicts": "significance",
    "paired_bootstrap": "significance",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
