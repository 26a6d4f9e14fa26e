"""Stop Streamlit from resetting Keras after every script run.

Streamlit's script runner calls `keras.backend.clear_session()` after each run of any page
(and of every fragment, such as the Train page's once-a-second job panel) as soon as Keras is
imported. In Keras 3 that call is process-wide, not per session: it replaces the module-global
thread-local trackers, so the training worker thread loses its Keras state mid-training (this
is how a job once failed with "'EagerTensor' object has no attribute '_unique_id'"); it also
clears TensorFlow's kernel cache and runs a full `gc.collect()`, about 0.4 s of CPU per run.
RecExplore builds a bounded number of models (cached per registry entry, and one per training
job), so the reset buys nothing here; the job queue releases memory itself after each job.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

_LOG = logging.getLogger("recexplore.app.keras_guard")
STREAMLIT_HOOK: dict[str, Any] = {}  # the hook this module replaced (for tests and for undoing it)


def _clean_without_keras() -> None:
    """Streamlit's cleanup minus the Keras reset: matplotlib figures are still closed."""
    pyplot: Any = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        try:
            pyplot.close("all")
        except Exception:  # noqa: S110 - as in Streamlit: cleanup must never stop the app
            pass


def keep_keras_state_between_runs() -> bool:
    """Replace Streamlit's after-run cleanup hook; False (and a log line) if Streamlit has none."""
    from streamlit.runtime.scriptrunner import script_runner

    if not callable(getattr(script_runner, "_clean_problem_modules", None)):
        _LOG.warning("Streamlit has no _clean_problem_modules hook; Keras may be reset after each run")
        return False
    if script_runner._clean_problem_modules is not _clean_without_keras:
        STREAMLIT_HOOK["original"] = script_runner._clean_problem_modules
    script_runner._clean_problem_modules = _clean_without_keras
    return True
