"""Training: the one pipeline every trained model goes through (`pipeline.run`: data set, split,
vocabularies, memory check, the task's trainer, the task's peers), one training loop per task
(`rating`, `retrieval`, `next_item`, named by the task), progress hooks and results (`trainer`), what
a job asks for (`request`). Imports every stage below `serving`.
"""

from __future__ import annotations

from recexplore import lazy_exports

_EXPORTS = {
    "run": "pipeline",
    "Run": "pipeline",
    "train": "trainer",
    "TrainResult": "trainer",
    "ProgressHooks": "trainer",
    "TrainRequest": "request",
    "check_training_memory": "memory",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
