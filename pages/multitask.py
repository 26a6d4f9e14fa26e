"""One model, two tasks: the multi-task family across retrieval weights, RMSE against hit-rate@10."""

from __future__ import annotations

import dataclasses

import streamlit as st

from recexplore.app import (
    links,
    loaded_data,
    messages,
    multitask_panel,
    prepare_panel,
    session_workspace,
    training_jobs,
)
from recexplore.app.course_views import lesson_question
from recexplore.app.train_forms import submit_problem
from recexplore.config.trade_off import TRADE_OFF_WEIGHTS
from recexplore.data.movielens import MAX_SEED
from recexplore.evaluation.multitask import trade_off
from recexplore.families import family
from recexplore.training.request import TrainRequest

MULTITASK = family("multitask")  # the family table, never the family's module

links.through_the_entrypoint()

SAVED, TRAIN_NOW = "Saved models", "Train the weights now"

st.title("One model, two tasks")
lesson_question("pages/multitask.py")
st.write(
    "The two towers' user and movie vectors feed two heads: their dot product ranks every movie (the "
    "towers' in-batch softmax) and a small network over both predicts the stars. One loss trains both, "
    "`w * retrieval + (1 - w) * rating`: at w = 1 it is the two towers, at w = 0 a rating model, and in "
    "between one model serves both tasks. Each point below is one weight; the dashed lines are the "
    "specialists, the rating-only DLRM and the retrieval-only 1-layer towers."
)

data = loaded_data.data_or_stop()
owner = session_workspace.workspace()
source = st.radio("Source", [SAVED, TRAIN_NOW], horizontal=True, key="multitask_source")

if source == SAVED:
    points = multitask_panel.saved_points(data.dataset)
    if not points:
        st.info(f"No multi-task model is saved for {data.source.title}: prepare them below, or train the weights now.")
        prepare_panel.prepare_section(data, "lesson")
        st.stop()
    multitask_panel.show(trade_off(points, *multitask_panel.references(data.dataset)), "multitask_saved")
    st.stop()

queue = training_jobs.job_manager_or_stop()
limit = queue.settings.max_active_jobs
left, right = st.columns(2)
weights = left.multiselect(
    "Retrieval weights", TRADE_OFF_WEIGHTS, default=TRADE_OFF_WEIGHTS[:limit], key="multitask_weights"
)
split_name = right.selectbox("Split", data.available_splits(), key="multitask_split")
seed = int(right.number_input("Seed", min_value=0, max_value=MAX_SEED, value=42, step=1, key="multitask_seed"))
st.caption(f"Each weight is one job; this workspace may have {limit} queued or running at once.")
if st.button("Train the weights", type="primary", key="multitask_train", disabled=not weights):
    config = MULTITASK.make_config()
    requests = [
        TrainRequest(
            "multitask",
            dataclasses.replace(config, retrieval_weight=float(w)),
            split_name,
            seed,
            label=f"multi-task {w:g}",
            preset=None,
        )
        for w in sorted(weights)
    ]
    _, refused = submit_problem(queue, owner, requests, data)
    if refused is not None:
        messages.say(refused, "error")

multitask_panel.live_panel(queue, owner, data.dataset)
