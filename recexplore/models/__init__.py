"""The models: one module per family (`dlrm`, `dcn`, `towers`, `sequential`, each ending in its
`FAMILY` declaration), their shared layers (`common`, `rating`, `lazy_adam`), and the peers as models
(`popularity`, `biases`, `ease`, `transitions`) with the `ScoreRows` every scorer returns
(`score_rows`). Imports `config`, `families` and `data`.
"""

from __future__ import annotations

from recexplore import lazy_exports

_EXPORTS = {
    "ScoreRows": "score_rows",
    "popularity_scores": "popularity",
    "fit_biases": "biases",
    "fit_ease": "ease",
    "transition_scores": "transitions",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
