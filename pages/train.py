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
    model_figures,
    runs,
    session_workspace,
    split_baselines,
    training_jobs,
)
from recexplore.app.metric_names import metric_rows
from recexplore.app.setting_widgets import setting_widget
from recexplore.app.train_forms import (
    build_config,
    job_label,
    limits_caption,
    queue_message,
    refresh_interval,
    submit_problem,
)
from recexplore.data.movielens import MAX_SEED
from recexplore.engine import cluster as engine
from recexplore.engine.jobs import DONE, QUEUED, RUNNING
from recexplore.families import families, family, sized_epochs
from recexplore.store import workspaces
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
preset_names = list(fam.presets)
if len(preset_names) > 1:
    setting_keys = tuple(f"train_{name}_{kind}" for name in ("epochs", "learning_rate", *fam.options))
    values["preset"] = left.selectbox(
        "Preset",
        preset_names,
        key=f"train_preset_{kind}",
        format_func=lambda p: f"{p} ({fam.label(fam.make_config(p))})",
        on_change=model_choice.forget_widgets,  # the preset's own settings become the defaults
        args=(setting_keys,),
    )
defaults: Any = fam.make_config(values.get("preset"))
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
        min(EPOCHS_SLIDER_MAX, sized_epochs(int(defaults.epochs), len(data.ratings))),
        key=f"train_epochs_{kind}",
        help="The preset's epochs, fewer in proportion on data sets above 1M ratings.",
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
        config = build_config(kind, values)
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


def _curves(kind: str, history: list[dict[str, float]], key: str, split: tuple[str, int, str]) -> None:
    """Quality and loss curves side by side; a DLRM's RMSE beside the rating baselines of its split."""
    if not history:
        st.caption("Curves appear after the first epoch.")
        return
    quality, loss = family(kind).task.curves, family(kind).task.loss_curves
    task = family(kind).task
    lines = split_baselines.curve_lines(task, split)
    a, b = st.columns(2)
    a.plotly_chart(model_figures.training_curves(history, quality, task.curve_axis, lines), key=f"{key}_quality")
    if lines:
        a.caption(
            "test_rmse is the held-out error after each epoch, only shown: training runs its set epochs "
            "and nothing is chosen by it (val_rmse, with early stopping, is what stopping watches). "
            "Dashed lines: the same split's test RMSE of predicting the average rating, and of "
            "average + user and movie offsets. A model below the bias-only line has learned tastes."
        )
    b.plotly_chart(model_figures.training_curves(history, loss, "loss"), key=f"{key}_loss")


def _metrics_table(metrics: dict[str, Any], key: str) -> None:
    st.dataframe(metric_rows(metrics), hide_index=True, key=key)


SAVE_OUTCOME = "train_save_outcome"


def _save(job: Any) -> None:
    """Save button callback: save `job`'s model into this workspace under the typed name; the
    outcome stays on the page (the panel redraws every second, so a message drawn only on the
    click's run would vanish)."""
    name = str(st.session_state.get("train_save_name", "")).strip()
    refused = training_jobs.save_job(queue, job, name, bool(st.session_state.get("train_overwrite", False)))
    if refused is not None:
        st.session_state[SAVE_OUTCOME] = (job.job_id, "error", refused)
        return
    message = f"Saved as {name!r} in your workspace: it is now on the other pages."
    st.session_state[SAVE_OUTCOME] = (job.job_id, "success", message)


def _save_form(done: list[Any]) -> None:
    """Save one finished job of this workspace under a registry name."""
    st.subheader("Save a finished model")
    ids = [j.job_id for j in done]
    job_id = (
        st.selectbox(
            "Job", ids, format_func=lambda i: f"job {i[:6]}: {queue.get(i, owner).label}", key="train_save_job"
        )
        if len(ids) > 1
        else ids[0]
    )
    job = queue.get(job_id, owner)
    if job is None or job.result is None:
        st.info("That job is gone; train again.")
        return
    st.text_input("Name (letters, digits, '-' or '_')", f"my-{job.result.kind}-{job.job_id[:6]}", key="train_save_name")
    st.checkbox("overwrite a model of that name in your workspace", key="train_overwrite")
    st.button("Save", key="train_save", on_click=_save, args=(job,))
    outcome = st.session_state.get(SAVE_OUTCOME)
    if outcome is not None and outcome[0] == job.job_id:
        messages.say(outcome[2], outcome[1])


def _any_active() -> bool:
    return refresh_interval(queue.jobs_for(owner)) is not None


ACTIVE_AT_START = _any_active()


@st.fragment(run_every=refresh_interval(queue.jobs_for(owner)))
def jobs_panel() -> None:
    """This workspace's jobs, redrawn every second from the job manager's snapshots."""
    jobs = queue.jobs_for(owner)
    if not jobs:
        st.caption("No training jobs in this workspace yet.")
        return
    st.subheader("Your training jobs")
    for job in jobs:
        snap = job.snapshot()
        status = snap["status"]
        with st.container(border=True):
            head, button = st.columns([5, 1])
            head.markdown(
                f"**Job {snap['job_id'][:6]}** · {snap['label']} · {queue_message(status, queue.position(job))}"
            )
            if status in (QUEUED, RUNNING):
                button.button("Cancel", key=f"train_cancel_{snap['job_id']}", on_click=queue.cancel, args=(job,))
                total = max(int(snap["total_epochs"]), 1)
                st.progress(
                    min(snap["epoch"] / total, 1.0), text=f"epoch {snap['epoch']} / {total} · {snap['elapsed']:.0f} s"
                )
            elif status == "failed":
                st.error(f"Training failed: {snap['error']}")
            elif status == "cancelled":
                st.warning("Cancelled.")
            job_kind = job.request.kind
            job_split = (job.request.split, job.request.seed, loaded_data.load_data().fingerprint)
            if status != "done":
                _curves(job_kind, snap["history"], f"train_job_{snap['job_id']}", job_split)
            elif job.result is not None:
                with st.expander("Test metrics and curves", expanded=job is jobs[0]):
                    _metrics_table(job.result.metrics, f"train_job_metrics_{snap['job_id']}")
                    st.caption(
                        f"{job.result.params:,} parameters · {job.result.train_seconds:.1f} s on {job.result.device}"
                    )
                    _curves(job_kind, snap["history"], f"train_job_{snap['job_id']}", job_split)
                    architecture_panel.show_architecture(
                        job_kind,
                        job.request.config.to_dict(),
                        architecture_panel.vocab_sizes(),
                        f"train_job_arch_{snap['job_id']}",
                    )
    done = [j for j in jobs if j.status == DONE and j.result is not None]
    if done:
        _save_form(done)
    if ACTIVE_AT_START and not _any_active():
        st.rerun()  # all finished: one full run refreshes the rest of the page


jobs_panel()

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
    _metrics_table(split_baselines.entry_metrics(entry), f"train_entry_metrics_{picked}")
    _curves(
        entry.kind,
        meta.get("history", []),
        f"train_entry_{picked}",
        runs.split_key(meta),
    )
    architecture_panel.show_architecture(
        entry.kind, meta["config"], architecture_panel.vocab_sizes(meta), f"train_entry_arch_{picked}"
    )
