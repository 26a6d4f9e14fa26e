"""The Sweeps page's look at one saved sweep: its figures and trials, "train the best on the whole
training part" (a training job like the Train page's), and "keep the best as a preset for this data set".

The trials were scored on a validation slice of the training part; only the best's training job, which
trains on the whole training part, is tested on the test part, with the task's peers beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from recexplore.app import messages, sweep_figures
from recexplore.app.sweep_views import best_sentence, preset_trial, swept, trial_table
from recexplore.app.train_forms import job_label, submit_problem
from recexplore.config.metrics import label
from recexplore.engine.jobs import JobManager
from recexplore.engine.sweeps import record_config
from recexplore.store import workspaces
from recexplore.store.data_presets import keep_preset
from recexplore.store.entry_format import RegistryError
from recexplore.training.request import TrainRequest

KEEP_OUTCOME = "sweeps_keep_outcome"  # (record path, kind, message) of the last "keep as preset"


def record_key(record: dict[str, Any]) -> str:
    """A short key for one record's widgets: its file's stem."""
    return Path(str(record.get("record", "sweep"))).stem


def look(record: dict[str, Any], queue: JobManager, owner: str, data: Any) -> None:
    """Everything the page shows about one saved sweep."""
    key = record_key(record)
    metric = str(record["metric"])
    st.markdown(best_sentence(record))
    st.caption(
        f"Every value here is {label(metric)} on a validation slice of the training part of the "
        f"{record.get('split')} split (seed {record.get('seed')}); no trial read the test part."
    )
    figure = sweep_figures.parallel_coordinates(record)
    if figure is None:
        st.info("No trial of this sweep finished: there is nothing to draw.")
    else:
        st.markdown("**Parallel coordinates**: one line per finished trial, coloured by its validation value.")
        st.plotly_chart(figure, key=f"sweeps_parcoords_{key}")
        st.markdown("**The metric against each setting** (the best trial ringed)")
        columns = st.columns(2)
        for i, name in enumerate(swept(record)):
            columns[i % 2].plotly_chart(sweep_figures.metric_against(record, name), key=f"sweeps_against_{key}_{name}")
        st.markdown("**The best trial's validation curve beside the preset's**")
        st.plotly_chart(sweep_figures.best_and_preset_curves(record), key=f"sweeps_curves_{key}")
        if preset_trial(record) is None:
            st.caption(
                "This sweep did not run the preset's own settings as a trial, so only the best's curve is drawn."
            )
    with st.expander("Every trial"):
        st.dataframe(
            trial_table(record["trials"], metric, int(record.get("max_epochs") or 0)),
            hide_index=True,
            key=f"sweeps_trials_{key}",
        )
    train_best(record, queue, owner, data, key)
    keep_as_preset(record, owner, key)


def train_best(record: dict[str, Any], queue: JobManager, owner: str, data: Any, key: str) -> None:
    """The button that trains the best settings on the whole training part, as a job of this workspace."""
    st.subheader("Train the best on the whole training part")
    st.write(
        "A training job like the Train page's, with the best trial's settings: it trains on the whole "
        "training part and is tested on the test part with the task's peers beside it. Its result, and "
        "the form to save it, appear under your training jobs below."
    )
    if not record.get("best"):
        st.caption("No trial finished, so there is no best to train.")
        return
    if not st.button("Train the best on the whole training part", type="primary", key=f"sweeps_train_best_{key}"):
        return
    try:
        config = record_config(record)
    except ValueError as err:
        messages.say(f"The best's settings make no valid model: {err}", "error")
        return
    kind = str(record["kind"])
    request = TrainRequest(
        kind,
        config,
        str(record.get("split")),
        int(record.get("seed", 42)),
        label=f"{job_label(kind, config)} (best of a sweep)",
    )
    jobs, refused = submit_problem(queue, owner, [request], data)
    if refused is not None:
        messages.say(refused, "error")
    else:
        st.toast(f"Job {jobs[0].job_id[:6]} submitted: {jobs[0].label}")


def keep_as_preset(record: dict[str, Any], owner: str, key: str) -> None:
    """Keep the best's settings as a named preset for this data set (in this workspace's folder)."""
    if not record.get("best"):
        return
    st.subheader("Keep the best as a preset for this data set")
    left, right = st.columns([3, 1])
    left.text_input("Preset name", f"tuned-{record.get('kind')}", key=f"sweeps_preset_name_{key}")
    right.button("Keep as preset", key=f"sweeps_keep_{key}", on_click=_keep, args=(record, owner, key))
    outcome = st.session_state.get(KEEP_OUTCOME)
    if outcome is not None and outcome[0] == key:
        messages.say(outcome[2], outcome[1])


def _keep(record: dict[str, Any], owner: str, key: str) -> None:
    """Button callback: keep the preset under the typed name; the outcome stays on the page (a
    fragment's redraw would otherwise wipe a message drawn only on the click's run)."""
    name = str(st.session_state.get(f"sweeps_preset_name_{key}", "")).strip()
    try:
        keep_preset(record, name, workspaces.workspace_dir(owner))
    except (OSError, RegistryError, ValueError) as err:
        st.session_state[KEEP_OUTCOME] = (key, "error", messages.for_visitors(str(err)))
        return
    message = f"Kept as preset {name!r} for this data set: the Train page offers it first."
    st.session_state[KEEP_OUTCOME] = (key, "success", message)
