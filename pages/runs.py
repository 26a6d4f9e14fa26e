"""Runs: any saved models side by side: overlaid curves with baselines, settings diff, metrics, CSV."""

from __future__ import annotations

import streamlit as st

from recexplore.app import (
    links,
    loaded_data,
    messages,
    model_choice,
    model_figures,
    runs,
    session_workspace,
    split_baselines,
    sweep_figures,
    sweep_panel,
)
from recexplore.app.sweep_views import record_label
from recexplore.config.metrics import label
from recexplore.families import RATING, RETRIEVAL, TASKS

RMSE_KEYS = RATING.curves
HIT_KEYS = RETRIEVAL.curves

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

st.title("Runs")
st.write(
    "Pick any saved models, the shared ones and your own, and see how they differ: their curves "
    "overlaid with the baselines (and, if you like, a sweep's trials), the settings that are not the same, "
    "and every metric. Histories download as CSV for a notebook."
)
st.page_link(
    "pages/compare_towers.py", label="The 1/2/3-layer lesson: Compare towers", icon=":material/stacked_line_chart:"
)

data = loaded_data.data_or_stop()
entries = {e.name: e for e in model_choice.list_models()}
if not entries:
    messages.stop_with("No saved models yet: run `python -m recexplore pretrain`, or train one on the Train page.")
names = list(entries)
model_choice.note_gone("runs_pick", names)
same_task = [n for n in names if model_choice.task_of(entries[n].kind) == RETRIEVAL.name]
default = same_task[:2] if len(same_task) >= 2 else names[:2]  # two runs of one task: a diff worth reading
picked = st.multiselect("Runs", names, default=default, key="runs_pick", max_selections=8)
if not picked:
    messages.stop_with("Pick one or more saved models to compare.")
metas = {name: entries[name].meta for name in picked}

keys = runs.curve_keys(metas)
if keys:
    preferred = next((k for k in ("test_rmse", "val_rmse", "hit_rate_at_100") if k in keys), keys[0])
    key = st.selectbox("Curve", keys, index=keys.index(preferred), format_func=label, key="runs_curve")
    split = runs.shared_split(metas)
    baselines: dict[str, float] = {}
    if split is not None and key in RMSE_KEYS:
        baselines = split_baselines.curve_lines(RATING, split) or {}
    elif split is not None and key in HIT_KEYS:
        tower_metrics = [
            split_baselines.entry_metrics(entries[n])
            for n in picked
            if key in TASKS[model_choice.task_of(entries[n].kind)].curves
        ]
        baselines = runs.hit_rate_baselines(key, tower_metrics)
    curves = runs.histories(metas, key)
    sweeps = {str(r["record"]): r for r in sweep_panel.records(session_workspace.workspace(), data.fingerprint)}
    if sweeps:
        overlay = st.selectbox(
            "Overlay a sweep's trials",
            [None, *sweeps],
            format_func=lambda path: "none" if path is None else record_label(sweeps[path]),
            key="runs_sweep",
        )
        if overlay in sweeps and sweeps[overlay]["metric"] != key:
            st.caption(f"That sweep's trials recorded {label(sweeps[overlay]['metric'])}: pick that curve to see them.")
        elif overlay in sweeps:
            curves = {**curves, **sweep_figures.trial_histories(sweeps[overlay])}
            st.caption("A sweep trial's values are on a validation slice of the training part, not the test part.")
    st.plotly_chart(model_figures.overlaid_curves(curves, key, baselines, label(key)), key="runs_chart")
    if split is None:
        st.caption("These runs were trained on different splits, so no single baseline line is drawn.")
    elif key in RMSE_KEYS:
        st.caption(
            "The lines are the same split's test RMSE of predicting the average rating and of "
            "average + user and movie offsets: a run below the bias-only line has learned tastes."
        )

st.subheader("Settings")
only_diff = len(picked) > 1 and st.toggle("Only the settings that differ", value=True, key="runs_only_diff")
table = runs.settings_table(metas)
shown = table[table[runs.DIFFERS]] if only_diff else table
if shown.empty:
    st.caption("These runs have the same settings.")
else:
    styled = shown.style.apply(
        lambda row: ["background-color: #fff3b0" if row[runs.DIFFERS] else "" for _ in row], axis=1
    )
    st.dataframe(
        styled,
        hide_index=True,
        key="runs_settings",
        width="stretch",
        column_config={runs.DIFFERS: st.column_config.CheckboxColumn("differs")},
    )

st.subheader("Metrics")
st.dataframe(
    runs.metrics_table({n: split_baselines.entry_metrics(entries[n]) for n in picked}, label),
    hide_index=True,
    key="runs_metrics",
    width="stretch",
)
st.download_button(
    "Download the histories (CSV)",
    runs.histories_csv(metas),
    file_name="recexplore-runs.csv",
    mime="text/csv",
    key="runs_csv",
)
