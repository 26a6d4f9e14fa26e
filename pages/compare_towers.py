"""Compare towers: 1-, 2- and 3-layer two-tower models side by side, against the popularity baseline."""

from __future__ import annotations

import streamlit as st

from recexplore.app import (
    links,
    loaded_data,
    messages,
    model_cache,
    model_choice,
    prepare_panel,
    session_workspace,
    tower_panel,
    training_jobs,
)
from recexplore.app.course_views import lesson_question
from recexplore.app.tower_comparison import (
    TowerRun,
    comparison_configs,
    training_caption,
)
from recexplore.app.train_forms import submit_problem
from recexplore.data.movielens import MAX_SEED
from recexplore.engine.prepare import entry_name, find_entry
from recexplore.families import RECOMMEND, family
from recexplore.training.request import TrainRequest

TOWERS = family("towers")  # the family table, never the family's module
PRESET_ENTRIES = {preset: entry for entry, preset in TOWERS.pretrained.items()}

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

SAVED, TRAIN_NOW = "Saved models", "Train all three now"

st.title("Compare towers")
lesson_question("pages/compare_towers.py")
st.write(
    "Do deeper towers retrieve better? The same two-tower model with 1, 2 or 3 dense layers per "
    "tower, measured by hit-rate@k on held-out ratings (movies the user already rated excluded) "
    "beside the popularity baseline: recommending the most-rated movies to everyone."
)
st.caption(
    "EASE, the second baseline line, is a linear item-to-item model with a closed-form solution "
    "(a few seconds, once per split). It is hard to beat because on data this size the "
    "co-watching of items explains most of what people rate next, and EASE fits exactly that with "
    "no training noise: a deep model earns its keep only by adding what EASE cannot see. "
    "So the towers learn from it: a second loss term asks them to rank the movies a user has not "
    "rated as EASE (fitted on the training part only) does, and they add the user and movie "
    "features EASE never sees. Set the EASE teacher weight to 0 on Train to see them without it."
)

data = loaded_data.data_or_stop()
owner = session_workspace.workspace()

source = st.radio("Source", [SAVED, TRAIN_NOW], horizontal=True, key="compare_source")
k_label = st.radio("Hit-rate at", ["@100", "@10"], horizontal=True, key="compare_k")
if k_label is None:  # set from code: the radio itself cannot be cleared
    messages.stop_with("Pick a hit-rate cutoff: @100 or @10.")
k = int(k_label.lstrip("@"))


if source == SAVED:
    entries = {e.name: e for e in model_choice.list_models(RECOMMEND)}
    # each preset's entry as listed for this data set (its own name, or its name for this data set)
    named = {p: find_entry(e, data.dataset, entries) or entry_name(e, data.dataset) for p, e in PRESET_ENTRIES.items()}
    runs = [TowerRun.from_meta(preset, entries[name].meta) for preset, name in named.items() if name in entries]
    for run in runs:  # the saved entries' per-user values, measured once per model (cached)
        found = model_cache.beyond(named[run.label])["per_user"]
        run.per_user, run.popularity_per_user = found["model"], found["popularity"]
    if not runs:
        st.info(
            f"None of {', '.join(named.values())} is saved for {data.source.title}: prepare it below, "
            "or choose 'Train all three now'."
        )
        prepare_panel.prepare_section(data, "lesson")
        st.stop()
    broken = {
        e.name: e.problem for e in model_choice.list_models(only_ok=False) if e.name in named.values() and not e.ok
    }
    if broken:  # saved but unloadable: say so instead of calling them "not saved"
        st.warning("Left out, broken: " + "; ".join(f"{name} ({problem})" for name, problem in broken.items()) + ".")
    missing = [name for name in named.values() if name not in entries and name not in broken]
    if missing:
        st.caption(f"Not saved yet: {', '.join(missing)}.")
    first = next(entries[name].meta for name in named.values() if name in entries)
    tower_panel.show_comparison(
        runs, k, str(first.get("split", {}).get("name", "random")), int(first.get("seed", 42)), data.fingerprint
    )
    st.stop()

queue = training_jobs.job_manager_or_stop()
left, middle, right = st.columns(3)
same = left.checkbox("Same training for all three", value=False, key="compare_same")
epochs = left.slider("Epochs", 1, 30, TOWERS.config().epochs, key="compare_epochs", disabled=not same)
st.caption(training_caption() + " Tick 'Same training for all three' to see what that does.")
split_name = middle.selectbox("Split", data.available_splits(), key="compare_split")
seed = int(right.number_input("Seed", min_value=0, max_value=MAX_SEED, value=42, step=1, key="compare_seed"))
if st.button("Train all three", type="primary", key="compare_train"):
    configs = comparison_configs(int(epochs) if same else None)
    requests = [
        TrainRequest("towers", configs[preset], split_name, seed, label=f"two-tower {preset}", preset=preset)
        for preset in TOWERS.queue_order
    ]
    _, refused = submit_problem(queue, owner, requests, data)
    if refused is not None:
        messages.say(refused, "error")

tower_panel.live_panel(queue, owner, k, data.fingerprint)
