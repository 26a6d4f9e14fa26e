"""The Sweeps page's launch form and live panel, the saved records it lists, and the Teacher's view of sweeps.

The sweeps themselves run in the engine (`engine.sweep_jobs.SweepManager`, one per server process,
counting against the training jobs' limits); this module draws them. The form sweeps the settings a
person picks, each over the family's declared range (editable in the `--space` syntax), holds the
epochs fixed, and always runs the preset's own values as the first trial, so the best's curve has the
preset's beside it.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from recexplore.app import class_queue, messages, session_workspace, training_jobs
from recexplore.app.sweep_views import trial_table
from recexplore.app.train_forms import refresh_interval
from recexplore.config.search import parse_dimension
from recexplore.data.movielens import MAX_SEED
from recexplore.engine.jobs import FAILED, QUEUED, RUNNING
from recexplore.engine.sweep_jobs import SweepJob, SweepManager
from recexplore.engine.sweep_records import list_records
from recexplore.engine.sweeps import MAX_TRIALS, SweepRequest
from recexplore.families import ModelFamily, sized_epochs
from recexplore.store import registry, workspaces
from recexplore.store.entry_format import RegistryError

RECORD_KEY = "sweeps_record"  # the record the page looks at (its path)
EPOCHS_MAX = 50  # epochs per trial on the page (the CLI reaches the config's bound)
TRIALS_MAX = min(64, MAX_TRIALS)  # a page-sized sweep; the CLI runs up to MAX_TRIALS


@st.cache_resource(show_spinner=False)
def _sweep_manager() -> SweepManager:
    return SweepManager(training_jobs.job_manager())


def sweep_manager() -> SweepManager:
    """The process-wide sweeps, counted against the process-wide training jobs' limits (a page stops
    with one line when an engine setting is invalid)."""
    training_jobs.job_manager_or_stop()
    return _sweep_manager()


def launch_form(fam: ModelFamily, data: Any, settings: Any) -> tuple[SweepRequest | None, str | None]:
    """The form's widgets for family `fam`; (the sweep they ask for, None) or (None, why not in one line)."""
    kind = fam.name
    left, middle, right = st.columns(3)
    preset = None
    if len(fam.presets) > 1:
        preset = left.selectbox("Preset the trials start from", list(fam.presets), key=f"sweeps_preset_{kind}")
    names = list(fam.space)
    chosen = middle.multiselect("Settings to sweep", names, default=names, key=f"sweeps_settings_{kind}")
    default_epochs = sized_epochs(int(fam.make_config(preset).epochs), len(data.ratings))
    epochs = int(
        right.number_input(
            "Epochs per trial",
            1,
            EPOCHS_MAX,
            min(default_epochs, EPOCHS_MAX),
            key=f"sweeps_epochs_{kind}",
            help="Each trial's most epochs; ASHA ends weak trials sooner.",
        )
    )
    trials = int(left.number_input("Trials", 1, TRIALS_MAX, 8, key="sweeps_trials"))
    at_once = int(
        middle.number_input(
            "Trials at once",
            1,
            int(settings.max_active_jobs),
            min(2, int(settings.max_active_jobs)),
            key="sweeps_at_once",
            help="Each counts as one job of your workspace while the sweep runs.",
        )
    )
    budget_max = max(1, int(settings.job_time_budget_s // 60))
    minutes = int(right.number_input("Time budget (minutes)", 1, budget_max, min(30, budget_max), key="sweeps_minutes"))
    splits = list(fam.splits) or data.available_splits()
    split = left.selectbox("Split (the sweep reads its training part only)", splits, key=f"sweeps_split_{kind}")
    seed = int(middle.number_input("Seed", 0, MAX_SEED, 42, key="sweeps_seed"))
    space: dict[str, Any] = {}
    with st.expander("Ranges (as the command line's --space writes them)"):
        for name in chosen:
            text = st.text_input(name, fam.space[name].describe(), key=f"sweeps_range_{kind}_{name}")
            try:
                space[name] = parse_dimension(name, text, fam.config.rule(name))
            except ValueError as err:
                return None, str(err)
    if not chosen:
        return None, "Pick at least one setting to sweep."
    try:
        request = SweepRequest(
            kind,
            preset,
            fixed={"epochs": epochs},
            space=space,
            trials=trials,
            time_budget_s=minutes * 60.0,
            split=split,
            seed=seed,
            concurrent=at_once,
            preset_trial=True,
        )
        request.config({})
    except ValueError as err:
        return None, str(err)
    return request, None


def launch(manager: SweepManager, owner: str, request: SweepRequest, data: Any) -> str | None:
    """Start the sweep for this workspace; None, or why it did not start (one line)."""
    from recexplore.config.memory import ResourceError
    from recexplore.engine.cluster import EngineError

    try:
        folder = workspaces.workspace_dir(owner)
        problem = registry.writable_problem(folder)  # where the record goes: checked now, not at the end
        if problem is not None:
            return f"Sweeps are unavailable: {problem}"
        manager.submit(owner, request, data, folder)
    except ResourceError as err:
        return f"{err}: fewer trials at once, or a smaller preset."
    except (EngineError, RegistryError, ValueError) as err:  # limits (JobLimitError), a bad range
        return str(err)
    return None


def records(owner: str, fingerprint: str) -> list[dict[str, Any]]:
    """The saved sweeps of this data set: this workspace's and the shared registry's, newest first."""
    folders = [registry.models_dir()]
    try:
        folders.append(workspaces.workspace_dir(owner))
    except RegistryError:
        pass
    return list_records(folders, fingerprint)


def live_panel(manager: SweepManager, owner: str) -> None:
    """This workspace's sweeps as a fragment, polling only while one is queued or running."""
    active_at_start = refresh_interval(manager.sweeps_for(owner)) is not None
    st.fragment(run_every=refresh_interval(manager.sweeps_for(owner)))(_live_panel)(manager, owner, active_at_start)


def _live_panel(manager: SweepManager, owner: str, active_at_start: bool) -> None:
    """Each sweep of the workspace: status, a cancel, trials started and finished, the live table."""
    sweeps = manager.sweeps_for(owner)
    if not sweeps:
        st.caption("No sweeps in this workspace yet.")
        return
    st.subheader("Your sweeps")
    for sweep in sweeps:
        _sweep_box(manager, sweep)
    if active_at_start and refresh_interval(manager.sweeps_for(owner)) is None:
        st.session_state.pop(RECORD_KEY, None)  # look at the sweep that just ended
        st.rerun()  # all finished: one full run lists the new record


def _sweep_box(manager: SweepManager, sweep: SweepJob) -> None:
    snap = sweep.snapshot()
    status = snap["status"]
    with st.container(border=True):
        head, button = st.columns([5, 1])
        head.markdown(f"**Sweep {snap['job_id'][:6]}** · {snap['label']} · {status}")
        if status in (QUEUED, RUNNING):
            button.button("Cancel", key=f"sweeps_cancel_{snap['job_id']}", on_click=manager.cancel, args=(sweep,))
            total = max(int(snap["total_trials"]), 1)
            st.progress(
                min(snap["finished_trials"] / total, 1.0),
                text=f"{snap['finished_trials']} of {total} trials finished, {snap['started_trials']} started · "
                f"{snap['elapsed']:.0f} s",
            )
        if status == QUEUED:
            st.caption("Waiting for the sweep before it on this server to finish (one sweep runs at a time).")
        elif status == FAILED:
            messages.say(f"The sweep failed: {snap['error']}", "error")
        elif status == "cancelled":
            st.warning("Cancelled: nothing was saved.")
        if snap["trials"]:
            metric, _ = sweep.request.metric()
            epochs = int(sweep.request.fixed.get("epochs", 0))
            st.dataframe(
                trial_table(snap["trials"], metric, epochs), hide_index=True, key=f"sweeps_live_{snap['job_id']}"
            )


def class_sweeps(manager: SweepManager) -> None:
    """The Teacher's view of every workspace's sweeps, as a fragment polling while one runs."""
    st.fragment(run_every=refresh_interval(manager.all_sweeps()))(_class_sweeps)(manager)


def _class_sweeps(manager: SweepManager) -> None:
    sweeps = manager.all_sweeps()
    st.subheader("Sweeps")
    if not sweeps:
        st.caption("No sweeps yet in any workspace.")
        return
    names = session_workspace.workspace_names()
    st.dataframe(
        class_queue.sweep_rows(sweeps, names=names), hide_index=True, key="class_queue_sweeps", width="stretch"
    )
    for sweep in sweeps:
        if sweep.status in (QUEUED, RUNNING):
            left, right = st.columns([5, 1])
            left.markdown(
                f"**{sweep.job_id[:6]}** · {sweep.label} · workspace "
                f"{class_queue.workspace_name(sweep.workspace, names)}"
            )
            right.button(
                "Cancel", key=f"class_queue_cancel_sweep_{sweep.job_id}", on_click=manager.cancel, args=(sweep,)
            )
