"""Preparing the data set in one click, on screen: the offer, the progress and the outcome, on Home
and on every lesson page that has no model yet.

What prepares a data set (the plan and its names) is `recexplore.engine.prepare`; the jobs are
driven by `recexplore.engine.preparation`. Who prepares decides where the models go: a session
that opened the Teacher's view with the operator token (or, with sign-in on, a listed teacher)
saves them into the shared models, for everyone; anyone else into their own workspace.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from recexplore.app import class_queue, loaded_data, messages, model_choice, session_workspace, sign_in, training_jobs
from recexplore.app.model_cache import clear_model_caches
from recexplore.app.train_forms import PANEL_REFRESH_S, queue_message
from recexplore.data.movielens import MovieLens
from recexplore.engine import prepare
from recexplore.engine.preparation import ENDED, SAVED, WAITING, Preparation, Preparations, Target
from recexplore.families import families, family
from recexplore.store import workspaces


@st.cache_resource(show_spinner=False)
def preparations() -> Preparations:
    """The server's preparations (one per target and data set), across sessions."""
    return Preparations()


def operator_session() -> bool:
    """Whether this session is the operator's: with sign-in on, a listed teacher; otherwise a
    session that opened the Teacher's view with the operator token."""
    if sign_in.configured():
        return sign_in.is_teacher(sign_in.signed_in_user(), sign_in.teachers())
    return bool(st.session_state.get(class_queue.OPERATOR_KEY))


def plan_here(data: MovieLens, owner: str) -> list[prepare.PlannedModel]:
    """The plan for the loaded data set, with the presets kept for it in the shared models or this workspace."""
    return prepare.plan(data, (None, workspaces.workspace_dir(owner)))


def model_names_or_offer(*views: str) -> list[str]:
    """A lesson page's models (those offering one of `views`), or, when there is none, the offer to
    prepare the data set (its progress once started) and a stopped page."""
    names = [e.name for e in model_choice.list_models(views)]
    if names:
        return names
    data = loaded_data.data_or_stop()
    titles = " or ".join(f.title for v in views for f in families(view=v))
    st.info(f"No model for this page is saved yet ({titles}) for {data.source.title}.")
    prepare_section(data, "lesson")
    st.stop()
    raise SystemExit  # unreachable: st.stop raises


def prepare_section(data: MovieLens, key: str) -> None:
    """The data set's preparation: its progress while under way, its outcome once ended, and the
    offer while the lessons' default models are missing (nothing when none is)."""
    owner = session_workspace.workspace()
    found = preparations().find(owner, data.fingerprint)
    if found is not None and not found.finished:
        _progress(found, owner, data)
        return
    if found is not None:
        _outcome(found, owner, data)
    planned = plan_here(data, owner)
    missing = prepare.missing(planned, data.dataset, [e.name for e in model_choice.list_models()])
    if missing:
        _offer(data, owner, len(planned), missing, key)


def _offer(data: MovieLens, owner: str, planned: int, missing: list[prepare.PlannedModel], key: str) -> None:
    """What preparing trains, where it saves, the button, and the operator's terminal command."""
    queue = training_jobs.job_manager_or_stop()
    target = Target(owner, operator_session(), int(queue.settings.max_saved_models))
    title = data.source.title
    with st.container(border=True, key=f"{key}_prepare_offer"):
        st.markdown(f"**Prepare {title} in one click**")
        st.write(
            f"The lessons open with {planned} default models, and {title} lacks "
            f"{len(missing)} of them. Preparing trains each as a job of your workspace (they count against "
            f"its limit of {queue.settings.max_active_jobs} jobs at once, so some wait their turn), then saves "
            f"them in {target.where}, where every lesson page finds them."
        )
        st.dataframe(
            [
                {
                    "model": m.name,
                    "family": family(m.kind).title,
                    "preset": f"{m.preset} (tuned on this data set)" if m.tuned else m.preset,
                    "epochs": int(m.config.epochs),
                    "split": m.split,
                }
                for m in missing
            ],
            hide_index=True,
            key=f"{key}_prepare_plan",
        )
        if st.button(f"Prepare {title}", type="primary", key=f"{key}_prepare_start"):
            try:
                preparations().start(queue, target, data, missing)
            except ValueError as err:  # the target cannot take them: one line, nothing trained
                messages.say(str(err), "error")
            else:
                st.rerun()
        st.caption(
            "Operators can train the same models from a terminal: `python -m recexplore pretrain "
            f"--dataset {data.dataset} --models-dir DIR`, with DIR a models folder of this data set's own "
            "(the app's `RECEXPLORE_MODELS_DIR`)."
        )


def _saved(found: Preparation) -> int:
    return sum(row["status"] == SAVED for row in found.snapshot())


def _progress(found: Preparation, owner: str, data: MovieLens) -> None:
    """The preparation's progress as a fragment, redrawn every PANEL_REFRESH_S while it runs."""
    st.fragment(run_every=PANEL_REFRESH_S)(_progress_panel)(found, owner, data.source.title, _saved(found))


def _progress_panel(found: Preparation, owner: str, title: str, saved_at_start: int) -> None:
    rows = found.snapshot()
    saved = sum(row["status"] == SAVED for row in rows)
    with st.container(border=True, key="prepare_progress"):
        st.markdown(f"**Preparing {title}** · into {found.target.where}")
        st.progress(saved / len(rows), text=f"{saved} of {len(rows)} models saved")
        for row in rows:
            st.markdown(f"`{row['name']}` · {_status_text(row)}")
            if row["status"] == "running":
                total = max(int(row["total_epochs"]), 1)
                st.progress(min(row["epoch"] / total, 1.0), text=f"epoch {row['epoch']} / {total}")
            elif row["error"]:
                messages.say(f"{row['name']}: {row['error']}", "warning")
        if found.target.workspace == owner and not found.finished:
            st.button("Cancel the preparation", key="prepare_cancel", on_click=found.cancel)
    if found.finished or saved > saved_at_start:
        clear_model_caches()
        st.rerun()  # a model was saved (or all ended): the whole page shows it now


def _status_text(row: dict[str, Any]) -> str:
    """'waiting for a free slot in your workspace', 'training', 'saved', ..."""
    status = row["status"]
    if status == WAITING:
        return "waiting for a free slot in the workspace"
    if status in ENDED:
        return {"saved": "saved", "failed": "failed", "cancelled": "cancelled"}[status]
    return queue_message(status, int(row["position"]))


def _outcome(found: Preparation, owner: str, data: MovieLens) -> None:
    """How the last preparation of this data set ended: every model saved (said once to the
    workspace that prepared it), or which failed and why (until the next try)."""
    rows = found.snapshot()
    failed = [row for row in rows if row["status"] != SAVED]
    if not failed:
        if found.target.workspace == owner:
            preparations().forget(found)
        st.success(
            f"{data.source.title} is prepared: {len(rows)} models saved in {found.target.where}. "
            "Every lesson page now opens with its model.",
            icon=":material/check_circle:",
        )
        return
    lines = "; ".join(f"{row['name']}: {row['error'] or row['status']}" for row in failed)
    messages.say(f"{len(rows) - len(failed)} of {len(rows)} models were saved. Not saved: {lines}.", "warning")
