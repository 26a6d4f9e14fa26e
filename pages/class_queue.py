"""Teacher's view: every workspace's queued and running jobs, the engine's resources, cancel any job."""

from __future__ import annotations

import streamlit as st

from recexplore.app import class_panel, class_queue, links, messages, sign_in, sweep_panel, training_jobs
from recexplore.engine.settings import TEACHERS_ENV

OPERATOR_KEY = class_queue.OPERATOR_KEY

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

st.title("Teacher's view")
st.write(
    "The whole class's training at a glance: every workspace's queued and running jobs and sweeps, what the "
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
class_panel.jobs_panel(queue)
sweep_panel.class_sweeps(sweep_panel.sweep_manager())
