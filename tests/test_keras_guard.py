"""keras_guard: Streamlit's after-run hook no longer resets Keras for every thread."""

from __future__ import annotations

import threading

import pytest
from keras.src.backend.common import global_state
from streamlit.runtime.scriptrunner import script_runner

from recexplore.app import keras_guard
from recexplore.app.keras_guard import keep_keras_state_between_runs


def _value_seen_by_a_worker_thread(after_hook: object) -> object:
    """Set Keras global state in a worker thread, run `after_hook` on this thread, read it back there."""
    box: dict[str, object] = {}
    ready, hook_ran = threading.Event(), threading.Event()

    def worker() -> None:
        global_state.set_global_attribute("recexplore_probe", "kept")
        ready.set()
        hook_ran.wait(10)
        box["value"] = global_state.get_global_attribute("recexplore_probe")

    thread = threading.Thread(target=worker)
    thread.start()
    ready.wait(10)
    after_hook()
    hook_ran.set()
    thread.join(10)
    return box["value"]


def test_streamlits_own_hook_wipes_other_threads_keras_state() -> None:
    """Why the guard exists: the stock hook resets the worker thread's state too."""
    original = keras_guard.STREAMLIT_HOOK.get("original", script_runner._clean_problem_modules)
    assert original.__module__ == script_runner.__name__
    assert _value_seen_by_a_worker_thread(original) is None


def test_guarded_hook_keeps_keras_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(script_runner, "_clean_problem_modules", script_runner._clean_problem_modules)
    assert keep_keras_state_between_runs() is True
    assert script_runner._clean_problem_modules.__module__ == "recexplore.app.keras_guard"
    assert _value_seen_by_a_worker_thread(script_runner._clean_problem_modules) == "kept"


def test_missing_hook_is_reported_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(script_runner, "_clean_problem_modules")
    assert keep_keras_state_between_runs() is False
