"""Ray for training jobs: the cluster started lazily or joined (`cluster`), jobs per workspace
(`jobs`), the worker actor that runs the pipeline (`worker`), the operator's settings
(`settings`), preparing a data set in one click: which models (`prepare`) and their jobs
(`preparation`), and hyperparameter sweeps on Ray Tune (`sweeps`), run as jobs of a workspace
(`sweep_jobs`) with a live trial table (`sweep_progress`) and their records (`sweep_records`).
Imports every stage below it.
"""

from __future__ import annotations

from recexplore import lazy_exports

_EXPORTS = {
    "EngineError": "cluster",
    "JobManager": "jobs",
    "EngineSettings": "settings",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
