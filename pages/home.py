"""Home: what RecExplore is, the data set in numbers, the saved models, and the course map (where to start)."""

from __future__ import annotations

import streamlit as st

from recexplore.app import links, loaded_data, model_choice, prepare_panel, split_baselines
from recexplore.app.course_views import course_map
from recexplore.app.metric_names import show
from recexplore.config.metrics import explain, label
from recexplore.families import TASKS, families

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

st.title("RecExplore")
st.write(
    "Train, load and look inside deep recommenders on MovieLens (100K to 25M ratings): rating models (a **DLRM** "
    "built on keras-rs `DotInteraction`, and a **DCN** whose `FeatureCross` layers learn feature "
    "crosses explicitly) and **two-tower** retrieval models served by `BruteForceRetrieval`, "
    "always measured beside their baselines on a clean split."
)

data = loaded_data.data_or_stop()
cols = st.columns(4)
cols[0].metric("Ratings", f"{len(data.ratings):,}")
cols[1].metric("Users", f"{len(data.users):,}")
cols[2].metric("Movies", f"{len(data.movies):,}")
cols[3].metric("Splits", ", ".join(data.available_splits()))

st.subheader("Saved models")
entries = model_choice.list_models(only_ok=False)
if not entries:
    st.info(f"No saved models yet for {data.source.title}: prepare it below, or train one on the Train page.")
for task in TASKS.values():  # one table per task: its families' models side by side
    titles = {f.name: f.title for f in families(task=task.name)}
    shown = [(e, split_baselines.entry_metrics(e)) for e in entries if e.ok and e.kind in titles]
    keys = task.table_keys
    rows = [
        {"name": e.name, "family": titles[e.kind], **{label(k): show(metrics.get(k)) for k in keys}}
        for e, metrics in shown
    ]
    if rows:
        st.markdown(f"**{task.title}**")
        st.dataframe(
            rows,
            hide_index=True,
            key=f"home_models_{task.name}",
            column_config={label(k): st.column_config.TextColumn(help=explain(k)) for k in keys},
        )
broken = [e for e in entries if not e.ok]
if broken:
    st.warning("Broken entries, left out: " + "; ".join(f"{e.name} ({e.problem})" for e in broken) + ".")
prepare_panel.prepare_section(data, "home")  # the lessons' default models in one click, while any is missing

course_map()  # Where to start: a card per lesson
