"""Train: configure a DLRM or a two-tower model, train it in the background, watch it, save it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from recexplore import app_state, figures, registry
from recexplore.data import DataError, make_split
from recexplore.features import Vocabularies
from recexplore.jobs import FINISHED, QUEUED, RUNNING
from recexplore.models.dlrm import DLRMConfig
from recexplore.models.towers import TOWER_PRESETS, TowerConfig
from recexplore.resources import ResourceError, check_training_memory
from recexplore.train_forms import (
    DLRM_CURVES,
    DLRM_LOSS_CURVES,
    TOWER_CURVES,
    TOWER_LOSS_CURVES,
    build_config,
    job_label,
    parse_layers,
    queue_message,
    save_problem,
)

KIND_LABELS = {"DLRM (rating prediction)": "dlrm", "Two-tower (retrieval)": "towers"}
DLRM_DEFAULTS, TOWER_DEFAULTS = DLRMConfig(), TowerConfig()

st.title("Train")
st.write(
    "Train a model on a clean split. Training runs in the background, one job at a time for the "
    "whole app: your job waits its turn, you can leave and come back, and cancel it at any time. "
    "Save a finished model to use it on the other pages."
)

data = app_state.data_or_stop()
owner = app_state.session_id()
queue = app_state.job_queue()

kind_label = st.radio("Model", list(KIND_LABELS), horizontal=True, key="train_kind")
if kind_label not in KIND_LABELS:  # None, set from code: the radio itself cannot be cleared
    app_state.stop_with("Pick a model kind: DLRM or two-tower.")
kind = KIND_LABELS[kind_label]
defaults: Any = DLRM_DEFAULTS if kind == "dlrm" else TOWER_DEFAULTS

left, middle, right = st.columns(3)
values: dict[str, Any] = {}
problem: str | None = None
if kind == "towers":
    preset_names = list(TOWER_PRESETS)
    default_preset = next(
        (p for p, layers in TOWER_PRESETS.items() if layers == TOWER_DEFAULTS.layers), preset_names[0]
    )
    values["preset"] = left.selectbox("Tower depth", preset_names, index=preset_names.index(default_preset),
                                      key="train_preset",
                                      format_func=lambda p: f"{p} ({','.join(map(str, TOWER_PRESETS[p]))})")  # fmt: skip
    values["temperature"] = left.number_input("Softmax temperature", min_value=0.01, max_value=100.0,
                                              value=float(TOWER_DEFAULTS.temperature), step=0.05,
                                              key="train_temperature")  # fmt: skip
else:
    top_text = left.text_input("Top MLP widths (comma-separated)", ",".join(map(str, DLRM_DEFAULTS.top_layers)),
                               key="train_top_layers")  # fmt: skip
    try:
        values["top_layers"] = parse_layers(top_text, "top MLP widths", allow_empty=True)
    except ValueError as err:
        problem = str(err)
    values["dropout"] = left.slider("Dropout", 0.0, 0.9, float(DLRM_DEFAULTS.dropout), 0.05, key="train_dropout")
values["embedding_dim"] = int(middle.number_input("Embedding dim", min_value=1, max_value=1024,
                                                  value=int(defaults.embedding_dim), step=4,
                                                  key=f"train_embedding_dim_{kind}"))  # fmt: skip
values["epochs"] = int(middle.slider("Epochs", 1, 50, int(defaults.epochs), key=f"train_epochs_{kind}"))
values["batch_size"] = int(right.number_input("Batch size", min_value=1, max_value=1 << 16,
                                              value=int(defaults.batch_size), step=128,
                                              key=f"train_batch_size_{kind}"))  # fmt: skip
values["learning_rate"] = float(right.number_input("Learning rate", min_value=0.0, max_value=10.0,
                                                   value=float(defaults.learning_rate), step=1e-3, format="%.4f",
                                                   key=f"train_learning_rate_{kind}"))  # fmt: skip

splits = data.available_splits()
split_name = left.selectbox("Split", splits, key="train_split")
seed = int(middle.number_input("Seed", min_value=0, max_value=2**31 - 1, value=42, step=1, key="train_seed"))

config = None
if problem is None:
    try:
        config = build_config(kind, values)
    except ValueError as err:  # the config's own validation: one line, no traceback
        problem = str(err)
if problem is not None:
    st.error(f"Invalid setting: {problem}")

if st.button("Train", type="primary", disabled=config is None, key="train_submit") and config is not None:
    try:
        split = make_split(data, split_name, seed=seed)
        check_training_memory(kind, config, Vocabularies.build(data).sizes(), len(split.train))
    except ResourceError as err:  # refused before anything is allocated
        st.error(f"{err}: lower the batch size or the embedding dim.")
    except (DataError, ValueError) as err:
        st.error(str(err))
    else:
        params = {"kind": kind, "data": data, "split": split, "config": config, "seed": seed}
        job = queue.submit(owner, job_label(kind, config), config.epochs, params)
        st.toast(f"Job {job.job_id} submitted: {job.label}")


def _curves(kind: str, history: list[dict[str, float]], key: str) -> None:
    """Quality and loss curves side by side."""
    if not history:
        st.caption("Curves appear after the first epoch.")
        return
    quality, loss = (DLRM_CURVES, DLRM_LOSS_CURVES) if kind == "dlrm" else (TOWER_CURVES, TOWER_LOSS_CURVES)
    a, b = st.columns(2)
    a.plotly_chart(figures.training_curves(history, quality, "RMSE" if kind == "dlrm" else "test hit-rate"),
                   key=f"{key}_quality")  # fmt: skip
    b.plotly_chart(figures.training_curves(history, loss, "loss"), key=f"{key}_loss")


def _metrics_table(metrics: dict[str, Any], key: str) -> None:
    rows = [{"metric": k, "value": float(v)} for k, v in metrics.items()]
    st.dataframe(rows, hide_index=True, key=key)


SAVE_OUTCOME = "train_save_outcome"


def _save(job: Any) -> None:
    """Save button callback: save `job`'s model under the typed name; the outcome stays on the page
    (the panel redraws every second, so a message drawn only on the click's run would vanish)."""
    name = str(st.session_state.get("train_save_name", "")).strip()
    overwrite = bool(st.session_state.get("train_overwrite", False))
    existing = [e.name for e in app_state.list_models(only_ok=False)]
    refused = save_problem(name, existing, overwrite)
    if refused is None:
        try:
            registry.save(job.result, name, overwrite=overwrite)
        except registry.RegistryError as err:
            refused = str(err)
    if refused is not None:
        st.session_state[SAVE_OUTCOME] = (job.job_id, "error", refused)
        return
    app_state.clear_model_caches()
    message = f"Saved as {name!r} in {app_state.models_dir()}: it is now on the other pages."
    st.session_state[SAVE_OUTCOME] = (job.job_id, "success", message)


def _save_form(done: list[Any]) -> None:
    """Save one finished job of this session under a registry name."""
    st.subheader("Save a finished model")
    ids = [j.job_id for j in done]
    job_id = st.selectbox("Job", ids, format_func=lambda i: f"job {i}: {queue.get(i, owner).label}",
                          key="train_save_job") if len(ids) > 1 else ids[0]  # fmt: skip
    job = queue.get(job_id, owner)
    if job is None or job.result is None:
        st.info("That job is gone; train again.")
        return
    st.text_input("Name (letters, digits, '-' or '_')", f"my-{job.result.kind}-{job.job_id}", key="train_save_name")
    st.checkbox("overwrite an existing model of that name", key="train_overwrite")
    st.button("Save", key="train_save", on_click=_save, args=(job,))
    outcome = st.session_state.get(SAVE_OUTCOME)
    if outcome is not None and outcome[0] == job.job_id:
        getattr(st, outcome[1])(outcome[2])


def _any_active() -> bool:
    return any(j.status not in FINISHED for j in queue.jobs_for(owner))


ACTIVE_AT_START = _any_active()


@st.fragment(run_every=1.0)
def jobs_panel() -> None:
    """This session's jobs, redrawn every second from the worker's snapshots."""
    jobs = queue.jobs_for(owner)
    if not jobs:
        st.caption("No training jobs in this session yet.")
        return
    st.subheader("Your training jobs")
    for job in jobs:
        snap = job.snapshot()
        status = snap["status"]
        with st.container(border=True):
            head, button = st.columns([5, 1])
            head.markdown(f"**Job {snap['job_id']}** · {snap['label']} · "
                          f"{queue_message(status, queue.position(job))}")  # fmt: skip
            if status in (QUEUED, RUNNING):
                button.button("Cancel", key=f"train_cancel_{snap['job_id']}", on_click=queue.cancel, args=(job,))
                total = max(int(snap["total_epochs"]), 1)
                st.progress(min(snap["epoch"] / total, 1.0),
                            text=f"epoch {snap['epoch']} / {total} · {snap['elapsed']:.0f} s")  # fmt: skip
            elif status == "failed":
                st.error(f"Training failed: {snap['error']}")
            elif status == "cancelled":
                st.warning("Cancelled.")
            job_kind = job.params.get("kind", "towers")
            if status != "done":
                _curves(job_kind, snap["history"], f"train_job_{snap['job_id']}")
            elif job.result is not None:
                with st.expander("Test metrics and curves", expanded=job is jobs[0]):
                    _metrics_table(job.result.metrics, f"train_job_metrics_{snap['job_id']}")
                    st.caption(f"{job.result.params:,} parameters · {job.result.train_seconds:.1f} s on "
                               f"{job.result.device}")  # fmt: skip
                    _curves(job_kind, snap["history"], f"train_job_{snap['job_id']}")
    done = [j for j in jobs if j.status == "done" and j.result is not None]
    if done:
        _save_form(done)
    if ACTIVE_AT_START and not _any_active():
        st.rerun()  # all finished: one full run refreshes the rest of the page


jobs_panel()

st.divider()
st.subheader("Load an existing entry")
entries = app_state.list_models()
if not entries:
    st.info("No saved models yet: train one above, or run `python -m recexplore pretrain`.")
else:
    app_state.note_gone("train_load_model", [e.name for e in entries])
    picked = st.selectbox("Saved model", [e.name for e in entries], key="train_load_model")
    entry = next((e for e in entries if e.name == picked), None)
    if entry is None:  # None, set from code: the box itself cannot be cleared
        app_state.stop_with("Pick a saved model to see its metrics and curves.")
    meta = entry.meta
    st.caption(f"{entry.kind} · {meta.get('params', 0):,} parameters · trained {meta.get('train_seconds', 0):.1f} s "
               f"on {meta.get('device', '?')} · split {meta.get('split', {}).get('name', '?')} · "
               f"seed {meta.get('seed', '?')}")  # fmt: skip
    _metrics_table(meta.get("metrics", {}), f"train_entry_metrics_{picked}")
    _curves(entry.kind, meta.get("history", []), f"train_entry_{picked}")
