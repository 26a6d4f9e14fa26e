"""The process-wide training job manager, and saving a finished job's model into this workspace."""

from __future__ import annotations

from typing import Any

import streamlit as st

from recexplore.app.messages import stop_with
from recexplore.app.model_cache import clear_model_caches
from recexplore.app.session_workspace import workspace
from recexplore.store import workspaces
from recexplore.store.entry_format import RegistryError


@st.cache_resource(show_spinner=False)
def job_manager() -> Any:
    """The process-wide training jobs (on Ray; nothing starts until the first submit)."""
    from recexplore.engine.jobs import JobManager

    return JobManager()


def job_manager_or_stop() -> Any:
    """`job_manager`, or one line and a stopped page when an engine setting is invalid."""
    from recexplore.engine.settings import SettingsError

    try:
        return job_manager()
    except SettingsError as err:
        stop_with(f"Training is unavailable: {err}.", "error")


def save_job(manager: Any, job: Any, name: str, overwrite: bool) -> str | None:
    """Save a finished job's model into this workspace as `name`; None, or why it was refused."""
    try:
        workspaces.save(
            workspace(), manager.model_bytes(job), job.result.meta, name, overwrite, manager.settings.max_saved_models
        )
    except (RegistryError, ValueError) as err:
        return str(err)
    clear_model_caches()
    return None


def job_status(queue: Any, job: Any, heading: str, key: str) -> dict[str, Any]:
    """One job in a row of jobs: its heading and status, its queue place and epoch with a Cancel
    button while it runs, its one-line error if it failed; the snapshot it drew."""
    from recexplore.app.train_forms import queue_message
    from recexplore.engine.jobs import FINISHED

    snap = job.snapshot()
    total = max(int(snap["total_epochs"]), 1)
    st.markdown(f"**{heading}** · {snap['status']}")
    if snap["status"] not in FINISHED:
        text = queue_message(snap["status"], queue.position(job))
        st.progress(min(snap["epoch"] / total, 1.0), text=f"{text} · epoch {snap['epoch']} / {total}")
        st.button("Cancel", key=f"{key}_cancel_{snap['job_id']}", on_click=queue.cancel, args=(job,))
    elif snap["status"] == "failed":
        st.error(snap["error"])
    return snap
