"""The Train page's live job panel, its save form, and the metrics and curves of a job or saved model."""

from __future__ import annotations

from typing import Any

import streamlit as st

from recexplore.app import architecture_panel, loaded_data, messages, model_figures, split_baselines, training_jobs
from recexplore.app.metric_names import metric_rows
from recexplore.app.train_forms import queue_message, refresh_interval
from recexplore.engine.jobs import DONE, QUEUED, RUNNING, Job, JobManager
from recexplore.families import family

SAVE_OUTCOME = "train_save_outcome"


def show_curves(kind: str, history: list[dict[str, float]], key: str, split: tuple[str, int, str]) -> None:
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


def show_metrics(metrics: dict[str, Any], key: str) -> None:
    """The test metrics as a table, one row per metric with its label."""
    st.dataframe(metric_rows(metrics), hide_index=True, key=key)


def _save(queue: JobManager, job: Job) -> None:
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


def save_form(queue: JobManager, owner: str, done: list[Job]) -> None:
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
    st.button("Save", key="train_save", on_click=_save, args=(queue, job))
    outcome = st.session_state.get(SAVE_OUTCOME)
    if outcome is not None and outcome[0] == job.job_id:
        messages.say(outcome[2], outcome[1])


def any_active(queue: JobManager, owner: str) -> bool:
    """Whether a job of this workspace is queued or running."""
    return refresh_interval(queue.jobs_for(owner)) is not None


def jobs_panel(queue: JobManager, owner: str) -> None:
    """This workspace's jobs as a fragment, polling only while one is queued or running (both read now)."""
    active_at_start = any_active(queue, owner)
    st.fragment(run_every=refresh_interval(queue.jobs_for(owner)))(_jobs_panel)(queue, owner, active_at_start)


def _jobs_panel(queue: JobManager, owner: str, active_at_start: bool) -> None:
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
                show_curves(job_kind, snap["history"], f"train_job_{snap['job_id']}", job_split)
            elif job.result is not None:
                with st.expander("Test metrics and curves", expanded=job is jobs[0]):
                    show_metrics(job.result.metrics, f"train_job_metrics_{snap['job_id']}")
                    st.caption(
                        f"{job.result.params:,} parameters · {job.result.train_seconds:.1f} s on {job.result.device}"
                    )
                    show_curves(job_kind, snap["history"], f"train_job_{snap['job_id']}", job_split)
                    architecture_panel.show_architecture(
                        job_kind,
                        job.request.config.to_dict(),
                        architecture_panel.vocab_sizes(),
                        f"train_job_arch_{snap['job_id']}",
                    )
    done = [j for j in jobs if j.status == DONE and j.result is not None]
    if done:
        save_form(queue, owner, done)
    if active_at_start and not any_active(queue, owner):
        st.rerun()  # all finished: one full run refreshes the rest of the page
