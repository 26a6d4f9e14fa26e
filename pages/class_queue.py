"""Teacher's view: every workspace's queued and running jobs, the engine's resources, cancel any job."""

from __future__ import annotations

import streamlit as st

from recexplore.app import class_queue, links, messages, session_workspace, sign_in, training_jobs
from recexplore.app.train_forms import refresh_interval
from recexplore.engine import cluster as engine
from recexplore.engine.settings import TEACHERS_ENV

OPERATOR_KEY = "class_queue_operator"

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

st.title("Teacher's view")
st.write(
    "The whole class's training at a glance: every workspace's queued and running jobs, what the "
    "engine has free, and a cancel for any job. It opens with the operator token set in the server's "
    "environment (or, with sign-in on, for the listed teachers); students see only their own jobs. "
    "Workspaces are named by a short digest, never by the key that opens them."
)

if sign_in.configured():  # the listed teachers' sign-ins open it; there is no shared token to type
    if not sign_in.is_teacher(sign_in.signed_in_user(), sign_in.teachers()):
        messages.stop_with(f"This view opens for the teachers listed in {TEACHERS_ENV} on this server.")
else:
    closed = class_queue.operator_problem()
    if closed is not None:
        messages.stop_with(closed)
    if not st.session_state.get(OPERATOR_KEY):
        with st.form("class_queue_login"):
            given = st.text_input("Operator token", type="password", key="class_queue_token", max_chars=512)
            opened = st.form_submit_button("Open")
        if opened and class_queue.token_matches(given):
            st.session_state[OPERATOR_KEY] = True
            st.session_state.pop("class_queue_token", None)
            st.rerun()
        if opened:
            st.error("That is not the operator token.")
        st.stop()

queue = training_jobs.job_manager_or_stop()


@st.fragment(run_every=refresh_interval(queue.all_jobs()))
def class_panel() -> None:
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


class_panel()
