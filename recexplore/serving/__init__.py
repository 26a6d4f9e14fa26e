"""Trained models put to use: top-k lists and re-ranking (`recommend`), a new user (`cold_start`),
the next movie (`next_item`), a model's layer table (`architecture`) and what it learned about
feature pairs (`interactions`). Imports the stages below it; never `training`.
"""

from __future__ import annotations

from recexplore import lazy_exports

_EXPORTS = {
    "Recommender": "recommend",
    "NextMovieRecommender": "next_item",
    "architecture": "architecture",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
