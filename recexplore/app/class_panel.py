"""The Teacher's view's live panel: the engine's resources and every workspace's jobs, each cancellable."""

from __future__ import annotations

import streamlit as st

from recexplore.app import class_queue, session_workspace
from recexplore.app.train_forms import refresh_interval
from recexplore.engine import cluster as engine
from recexplore.engine.jobs import JobManager


def jobs_panel(queue: JobManager) -> None:
    """Every job as a fragment, polling only while one is queued or running."""
    st.fragment(run_every=refresh_interval(queue.all_jobs()))(_jobs_panel)(queue)


def _jobs_panel(queue: JobManager) -> None:
    """Resources and every job, redrawn while any job is queued or running."""
    jobs = queue.all_jobs()
    live = class_queue.active(jobs)
    cols = st.columns(4)
    for col, (name, count) in zip(cols, class_queue.counts(jobs).items(), strict=False):
        col.metric(name, count)
    if engine.is_started():
        found = engine.cluster_summary()
        cols[2].metric("CPUs free", f"{found['free_cpus']:g} of {found['cpus']:g}")
        cols[3].metric("GPUs free", f"{found['free_gpus']:g} of {found['gpus']:g}" if found["gpus"] else "none")
    st.caption(engine.describe(queue.settings))
    if not jobs:
        st.info("No jobs yet in any workspace.")
        return
    positions = {j.job_id: queue.position(j) for j in jobs}
    names = session_workspace.workspace_names()  # signed-in people, by workspace (empty without sign-in)
    rows = class_queue.job_rows(jobs, positions, names=names)
    st.dataframe(rows, hide_index=True, key="class_queue_jobs", width="stretch")
    for job in live:
        left, right = st.columns([5, 1])
        left.markdown(
            f"**{job.job_id[:6]}** · {job.label} · workspace {class_queue.workspace_name(job.workspace, names)}"
        )
        right.button("Cancel", key=f"class_queue_cancel_{job.job_id}", on_click=queue.cancel, args=(job,))
