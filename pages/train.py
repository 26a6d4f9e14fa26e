"""Train: configure a model of any family (its settings drawn from its config), train it in the background, watch it, save it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from recexplore.app import (
    architecture_panel,
    links,
    loaded_data,
    messages,
    model_choice,
    runs,
    session_workspace,
    split_baselines,
    train_panel,
    training_jobs,
)
from recexplore.app.setting_widgets import setting_widget
from recexplore.app.train_forms import (
    build_config,
    job_label,
    limits_caption,
    preset_choices,
    preset_label,
    submit_problem,
)
from recexplore.data.movielens import MAX_SEED
from recexplore.engine import cluster as engine
from recexplore.families import families, sized_epochs
from recexplore.store import data_presets, workspaces
from recexplore.training.request import TrainRequest

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

FAMILIES = {f.title: f for f in families()}
# Slider ends narrower than the configs' bounds (which the CLI reaches): a page-sized range.
EPOCHS_SLIDER_MAX = 50

st.title("Train")
st.write(
    "Train a model on a clean split. Each training runs as a job in a worker process of its own "
    "(on Ray): several jobs train at once when the machine has the cores, the rest wait their turn. "
    "Your jobs belong to your workspace, which stays with this browser (or with your sign-in): reload, "
    "open a second tab or come back later, and they are still here; a link you share opens the page, "
    "never your workspace. Save a finished model to use it on the other pages; your saved models are "
    "yours, the shared ones are read-only."
)

data = loaded_data.data_or_stop()
owner = session_workspace.workspace()
queue = training_jobs.job_manager_or_stop()
st.caption(limits_caption(queue.settings, len(workspaces.own_entries(owner))) + " " + engine.describe(queue.settings))
session_workspace.workspace_panel(owner)

kind_label = st.radio("Model", list(FAMILIES), horizontal=True, key="train_kind")
if kind_label not in FAMILIES:  # None, set from code: the radio itself cannot be cleared
    messages.stop_with("Pick a model family: " + ", ".join(FAMILIES) + ".")
fam = FAMILIES[kind_label]
kind = fam.name
st.caption(fam.description[:1].upper() + fam.description[1:] + ".")

left, middle, right = st.columns(3)
values: dict[str, Any] = {}
problem: str | None = None
kept = {p.name: p for p in data_presets.presets_for(kind, data.fingerprint, workspaces.preset_folders(owner))}
preset_names = preset_choices(kind, list(kept.values()))
if len(preset_names) > 1:
    setting_keys = tuple(f"train_{name}_{kind}" for name in ("epochs", "learning_rate", *fam.options))
    values["preset"] = left.selectbox(
        "Preset",
        preset_names,
        key=f"train_preset_{kind}",
        format_func=lambda p: preset_label(kind, p, kept),
        on_change=model_choice.forget_widgets,  # the preset's own settings become the defaults
        args=(setting_keys,),
        help="Presets a sweep kept for this data set come first (the Sweeps page, or `tune --keep`).",
    )
tuned = values.get("preset") in kept
defaults: Any = kept[values["preset"]].config() if tuned else fam.make_config(values.get("preset"))
for i, name in enumerate(fam.options):
    column = (left, middle, right)[i % 3] if i else left
    try:
        values[name] = setting_widget(column, fam.config, name, getattr(defaults, name), f"train_{name}_{kind}")
    except ValueError as err:
        problem = str(err)
values["embedding_dim"] = int(
    middle.number_input(
        "Embedding dim",
        min_value=int(type(defaults).bound("embedding_dim").smallest),
        max_value=int(type(defaults).bound("embedding_dim").high),
        value=int(defaults.embedding_dim),
        step=4,
        key=f"train_embedding_dim_{kind}",
    )
)
epochs = type(defaults).bound("epochs")
values["epochs"] = int(
    middle.slider(
        "Epochs",
        int(epochs.smallest),
        min(EPOCHS_SLIDER_MAX, int(epochs.high)),
        min(
            EPOCHS_SLIDER_MAX, int(defaults.epochs) if tuned else sized_epochs(int(defaults.epochs), len(data.ratings))
        ),
        key=f"train_epochs_{kind}",
        help="The preset's epochs (a built-in preset's fewer in proportion on data sets above 1M ratings).",
    )
)
values["batch_size"] = int(
    right.number_input(
        "Batch size",
        min_value=int(type(defaults).bound("batch_size").smallest),
        max_value=int(type(defaults).bound("batch_size").high),
        value=int(defaults.batch_size),
        step=128,
        key=f"train_batch_size_{kind}",
    )
)
values["learning_rate"] = float(
    right.number_input(
        "Learning rate",
        min_value=type(defaults).bound("learning_rate").low,  # 0 is typed in; the config says why not
        max_value=type(defaults).bound("learning_rate").high,
        value=float(defaults.learning_rate),
        step=1e-3,
        format="%.4f",
        key=f"train_learning_rate_{kind}",
    )
)

splits = list(fam.splits) or data.available_splits()  # next-movie families: the time-ordered splits
if st.session_state.get("train_split") not in splits:  # another family's split: start from this one's
    st.session_state.pop("train_split", None)
split_name = left.selectbox("Split", splits, key="train_split")
seed = int(middle.number_input("Seed", min_value=0, max_value=MAX_SEED, value=42, step=1, key="train_seed"))

config = None
if problem is None:
    try:
        config = build_config(kind, values, kept)
    except ValueError as err:  # the config's own validation: one line, no traceback
        problem = str(err)
if problem is not None:
    st.error(f"Invalid setting: {problem}")

if st.button("Train", type="primary", disabled=config is None, key="train_submit") and config is not None:
    request = TrainRequest(kind, config, split_name, seed, label=job_label(kind, config))
    job, refused = submit_problem(queue, owner, [request], data)
    if refused is not None:
        messages.say(refused, "error")
    else:
        st.toast(f"Job {job[0].job_id[:6]} submitted: {job[0].label}")

train_panel.jobs_panel(queue, owner)

st.divider()
st.subheader("Load an existing entry")
entries = model_choice.list_models()
if not entries:
    st.info("No saved models yet: train one above, or run `python -m recexplore pretrain`.")
else:
    model_choice.note_gone("train_load_model", [e.name for e in entries])
    names = [e.name for e in entries]
    preferred = next((f.default_entry for f in FAMILIES.values() if f.default_entry in names), names[0])
    picked = st.selectbox("Saved model", names, index=names.index(preferred), key="train_load_model")
    entry = next((e for e in entries if e.name == picked), None)
    if entry is None:  # None, set from code: the box itself cannot be cleared
        messages.stop_with("Pick a saved model to see its metrics and curves.")
    meta = entry.meta
    st.caption(
        f"{entry.kind} · {meta.get('params', 0):,} parameters · trained {meta.get('train_seconds', 0):.1f} s "
        f"on {meta.get('device', '?')} · split {meta.get('split', {}).get('name', '?')} · "
        f"seed {meta.get('seed', '?')}"
    )
    train_panel.show_metrics(split_baselines.entry_metrics(entry), f"train_entry_metrics_{picked}")
    train_panel.show_curves(
        entry.kind,
        meta.get("history", []),
        f"train_entry_{picked}",
        runs.split_key(meta),
    )
    architecture_panel.show_architecture(
        entry.kind, meta["config"], architecture_panel.vocab_sizes(meta), f"train_entry_arch_{picked}"
    )
