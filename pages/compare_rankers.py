"""Compare rankers: DLRM, DCN (full and low rank) and the DNN control on the same split or folds,
curves overlaid, a table with the baselines, and a verdict that is honest about noise."""

from __future__ import annotations

import streamlit as st

from recexplore.app import (
    links,
    loaded_data,
    messages,
    ranker_panel,
    session_workspace,
    training_jobs,
)
from recexplore.app.course_views import lesson_question
from recexplore.app.ranker_report import (
    ALL_FOLDS,
    ONE_SPLIT,
    comparison_requests,
    scope_splits,
)
from recexplore.app.train_forms import submit_problem
from recexplore.data.movielens import MAX_SEED
from recexplore.evaluation.ranker_comparison import POINTWISE, ranker_losses, rankers

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

st.title("Compare rankers")
lesson_question("pages/compare_rankers.py")
st.write(
    "Which way of combining feature embeddings predicts ratings best? The same inputs, biases and "
    "factorisation path, with three different networks on top: **DLRM**'s `DotInteraction` and top "
    "MLP, **DCN**'s explicit `FeatureCross` layers (full rank, and low rank with 40% fewer "
    "parameters) and a plain deep network, the **DNN** control. All train on the same split; with "
    "all five folds, each difference gets a paired t-test over the folds (Holm-corrected over the six "
    "pairs), so the verdict says which differences are real and which are noise."
)
st.markdown(
    "**Does training on the order of a list beat predicting each star?** Every model is also scored on "
    "each test user's own held-out movies, ordered by its score (list NDCG@5 and @10 with the stars as "
    "gains, MRR of the first 5-star movie), beside the bias-only and popularity orderings. Add a list "
    "loss below to train the DLRM's network on lists of each user's ratings with it (the **listwise** "
    "ranker, keras-rs's pairwise and ListMLE losses) and compare it with the DLRM, which learns each "
    "star on its own: the same network, the same folds, one paired verdict per pair on list NDCG@10."
)

data = loaded_data.data_or_stop()
st.subheader("The saved rankers")
ranker_panel.saved_panel(data)

st.subheader("Train and compare")
owner = session_workspace.workspace()
queue = training_jobs.job_manager_or_stop()
losses = st.multiselect(
    "Losses",
    ranker_losses(),
    default=list(POINTWISE),
    key="rankers_losses",
    help="mse: DLRM, DCN and the DNN control, each star on its own; a list loss adds the listwise ranker trained with it",
)
presets = rankers(losses or POINTWISE)
left, middle, right = st.columns(3)
scope = left.radio("Train on", [ONE_SPLIT, ALL_FOLDS], horizontal=True, key="rankers_scope")
seed = int(middle.number_input("Seed", min_value=0, max_value=MAX_SEED, value=42, step=1, key="rankers_seed"))
same = right.checkbox("Set the epochs for all", value=False, key="rankers_same")
epochs = right.slider(
    "Epochs", 1, 30, presets[0][0].make_config(presets[0][1]).epochs, key="rankers_epochs", disabled=not same
)
split = middle.selectbox("Split", data.available_splits(), key="rankers_split") if scope == ONE_SPLIT else ""
splits, problem = scope_splits(data, scope, split, queue.settings.max_active_jobs, losses or POINTWISE)
needed = len(presets) * len(splits)
if problem is not None:
    st.info(problem)
st.caption(
    "Each model trains with its preset's settings: "
    + "; ".join(f"{p} ({f.label(f.make_config(p))})" for f, p in presets)
    + "."
)
if st.button(f"Train all {needed}", type="primary", disabled=problem is not None, key="rankers_train"):
    requests = comparison_requests(splits, seed, int(epochs) if same else None, losses or POINTWISE)
    _, refused = submit_problem(queue, owner, requests, data)
    if refused is not None:
        messages.say(refused, "error")

ranker_panel.live_panel(queue, owner, needed, data.fingerprint)
