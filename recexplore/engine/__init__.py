"""Ray for training jobs: the cluster started lazily or joined (`cluster`), jobs per workspace
(`jobs`), the worker actor that runs the pipeline (`worker`), and the operator's settings
(`settings`). Imports every stage below it.
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
