"""Start-up: the background warm-up (Keras, the default pretrained models), the device summary, waiting for Keras."""

from __future__ import annotations

import logging
import threading
import time

import streamlit as st

from recexplore.app.model_cache import ready_model, recommender
from recexplore.app.model_choice import list_models
from recexplore.families import INTERACTIONS, RECOMMEND, families

# The views whose families' pretrained entries are prepared in the background at start-up: the
# Recommend, Movie map and Feature interactions pages then open without loading anything.
WARM_VIEWS = (RECOMMEND, INTERACTIONS)
KERAS_WAIT_S = 60.0
_LOG = logging.getLogger("recexplore.app")


@st.cache_resource(show_spinner=False)
def device_summary() -> dict[str, str]:
    """Device and backend facts for the sidebar (computed once per process; imports Keras)."""
    import keras

    from recexplore.training.device import device_description

    return {"device": device_description(), "backend": keras.backend.backend()}


class WarmUp:
    """Imports Keras and prepares the default pretrained models on a background thread.

    Importing TensorFlow alone takes about 4 s on a 2-core CPU; doing it here keeps it off the
    first page's critical path. Cached functions share per-key locks, so a page that asks for a
    model while the warm-up is loading it waits for that one load instead of starting another.
    """

    def __init__(self) -> None:
        self.device: dict[str, str] | None = None
        self.error: str | None = None
        # Set once Keras is imported (`device` known) or the warm-up has given up (`error` set).
        self.keras_settled = threading.Event()
        self.thread = threading.Thread(target=self._run, name="recexplore-warm-up", daemon=True)

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            self.device = device_summary()
            self.keras_settled.set()
            _LOG.info("warm-up: Keras loaded in %.1f s", time.perf_counter() - started)
            names = {e.name for e in list_models()}
            for view in WARM_VIEWS:
                entry = next((f.default_entry for f in families(view=view) if f.default_entry in names), None)
                if entry is not None:
                    recommender(entry) if view == RECOMMEND else ready_model(entry)
        except Exception as err:  # never fatal: the pages load on demand and report their own errors
            self.error = str(err)
            _LOG.warning("warm-up stopped: %s", err)
        finally:
            self.keras_settled.set()


def wait_for_keras() -> None:
    """Block, with a spinner, until the warm-up has imported Keras (only right after start-up)."""
    warm = warm_up()
    if not warm.keras_settled.is_set():
        with st.spinner("Starting Keras and TensorFlow (once per server start, a few seconds) ..."):
            warm.keras_settled.wait(KERAS_WAIT_S)  # bounded: never hang a page on the warm-up


@st.cache_resource(show_spinner=False)
def warm_up() -> WarmUp:
    """Start the process-wide warm-up once (the first page view of the server process)."""
    # Cached calls on this thread have no page to draw their spinners on; Streamlit would warn
    # about the missing script context once per call.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    job = WarmUp()
    job.thread.start()
    return job
