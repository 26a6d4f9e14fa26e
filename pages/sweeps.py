"""Sweeps: tune a family's settings on Ray Tune as jobs of this workspace, watch the trials, then look and train the best."""

from __future__ import annotations

import streamlit as st

from recexplore.app import (
    links,
    loaded_data,
    messages,
    session_workspace,
    sweep_look,
    sweep_panel,
    train_panel,
    training_jobs,
)
from recexplore.app.sweep_views import record_label
from recexplore.app.train_forms import limits_caption
from recexplore.engine import cluster as engine
from recexplore.families import families
from recexplore.store import workspaces

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

FAMILIES = {f.title: f for f in families()}

st.title("Sweeps")
st.write(
    "Tune a model to this data set: pick a family, the settings to sweep and a budget, and launch. "
    "Each trial trains on a validation slice of the training part (the test part is never read), "
    "weak trials are ended early (ASHA), and the first trial runs the preset's own settings. While the "
    "sweep runs, its trials count as jobs of your workspace. Then look at what mattered, and train the "
    "best on the whole training part, tested beside the peers."
)

data = loaded_data.data_or_stop()
owner = session_workspace.workspace()
queue = training_jobs.job_manager_or_stop()
sweeper = sweep_panel.sweep_manager()
st.caption(limits_caption(queue.settings, len(workspaces.own_entries(owner))) + " " + engine.describe(queue.settings))

kind_label = st.radio("Model", list(FAMILIES), horizontal=True, key="sweeps_kind")
if kind_label not in FAMILIES:  # None, set from code: the radio itself cannot be cleared
    messages.stop_with("Pick a model family: " + ", ".join(FAMILIES) + ".")
request, problem = sweep_panel.launch_form(FAMILIES[kind_label], data, queue.settings)
if problem is not None:
    st.error(f"Invalid sweep: {problem}")
if st.button("Launch the sweep", type="primary", disabled=request is None, key="sweeps_launch") and request:
    refused = sweep_panel.launch(sweeper, owner, request, data)
    if refused is not None:
        messages.say(refused, "error")
    else:
        st.toast(f"Sweep of {request.kind} launched: {request.trials} trials")

sweep_panel.live_panel(sweeper, owner)

st.divider()
st.subheader("Look at a sweep")
records = {str(r["record"]): r for r in sweep_panel.records(owner, data.fingerprint)}
if not records:
    st.info("No finished sweep on this data set yet: launch one above, or run `python -m recexplore tune towers`.")
else:
    picked = st.selectbox(
        "Sweep", list(records), format_func=lambda path: record_label(records[path]), key=sweep_panel.RECORD_KEY
    )
    if picked in records:
        sweep_look.look(records[picked], queue, owner, data)

if queue.jobs_for(owner):
    st.divider()
    train_panel.jobs_panel(queue, owner)
