"""RecExplore entry point: `streamlit run streamlit_app.py`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import streamlit as st
from starlette.middleware import Middleware

from recexplore.app import course, links, loaded_data, messages, session_workspace, sign_in, start_up
from recexplore.app.keras_guard import keep_keras_state_between_runs
from recexplore.app.workspace_cookie import WorkspaceCookie
from recexplore.data.movielens import DATA_ENV
from recexplore.data.sources import DEFAULT_DATASET


@asynccontextmanager
async def _server_started(_app: object) -> AsyncIterator[None]:
    """Start the warm-up (TensorFlow's 3-4 s import, the default models) as the server starts,
    so that the first visitor does not wait for it: the page-run hooks below need a session."""
    keep_keras_state_between_runs()
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)  # no page yet
    start_up.warm_up()
    yield


# `streamlit run streamlit_app.py` finds this st.App and serves it (Streamlit's ASGI mode), which
# gives the server-start hook above and the workspace cookie on page loads (a browser's workspace
# never travels in a page's address); every browser session runs this same file as its script.
app = st.App("streamlit_app.py", lifespan=_server_started, middleware=[Middleware(WorkspaceCookie)])


def sidebar() -> Any:
    """Data source, device and Keras backend, and who is signed in, on every page; returns the
    place kept for the link to this page (filled once the page has made its choices)."""
    with st.sidebar:
        sign_in.sidebar_panel()
        link_slot = st.empty()
        st.caption("Data source")
        choices = loaded_data.dataset_choices()
        if len(choices) > 1:
            current = loaded_data.dataset_choice() or DEFAULT_DATASET
            st.selectbox(
                "Data set",
                choices,
                index=choices.index(current) if current in choices else 0,
                format_func=loaded_data.dataset_title,
                key=loaded_data.DATASET_KEY,
                help="Every page uses this data set; models trained on another one are listed under it.",
            )
        try:
            data = loaded_data.load_data()
        except Exception as err:  # DataError; shown, never raised
            messages.say(str(err).split(":")[0], "warning")
        else:
            st.write(loaded_data.data_description(data))
        device_panel(start_up.warm_up())
        if not loaded_data.data_source():
            st.caption(f"Set {DATA_ENV} to use a local MovieLens folder (ml-100k, ml-1m, ml-latest, ml-20m or ml-25m).")
    return link_slot


def share_link(slot: Any) -> None:
    """A 'Link to this page' control in `slot`: the page's address with its shareable choices (a
    user, a model), which opens it in the visitor's own workspace."""
    link = links.page_link()
    if link is None:
        return
    with slot.container(), st.popover("Link to this page", icon=":material/link:"):
        st.code(link, language=None, wrap_lines=True)
        st.caption("Safe to share: it opens this page with its choices, in each visitor's own workspace.")


def _show_device(facts: dict[str, str]) -> None:
    st.caption("Device")
    st.write(facts["device"])
    st.caption("Keras backend")
    st.write(facts["backend"])


def device_panel(warm: start_up.WarmUp) -> None:
    """Device and backend; while Keras is still loading in the background, a placeholder that
    polls once a second and reruns the app once the facts are known (then stops polling)."""
    if warm.device is not None:
        _show_device(warm.device)
        return
    if warm.keras_settled.is_set():  # the warm-up failed before it knew the device: say so, no polling
        _show_device({"device": "unknown", "backend": f"Keras did not load: {warm.error}"})
        return

    @st.fragment(run_every=1.0)
    def waiting() -> None:
        if warm.keras_settled.is_set():
            st.rerun(scope="app")
        st.caption("Device")
        st.write("Loading Keras ...")

    waiting()


def menu() -> dict[str, list[Any]]:
    """The menu, grouped as the course (recexplore/app/course.py): section header -> its pages.
    st.Page objects are made per run, inside a session."""
    return {
        section: [
            st.Page(p.file, title=p.title, icon=p.icon, url_path=p.url_path, default=p.file == course.HOME)
            for p in map(course.page, files)
        ]
        for section, files in course.SECTIONS.items()
    }


def main() -> None:
    """One run of the app for one browser session."""
    keep_keras_state_between_runs()  # Streamlit would otherwise reset Keras for every thread after each run
    st.set_page_config(page_title="RecExplore", page_icon=":material/movie:", layout="wide")
    sign_in.gate()  # with sign-in configured, nothing shows before it
    page = st.navigation(menu(), expanded=True)  # the menu is the course: every page shows, none folded away
    session_workspace.workspace()  # from the identity or the browser's cookie: a reload keeps the jobs, a copied link does not
    link_slot = sidebar()
    if course.page_titled(page.title).keras:
        start_up.wait_for_keras()
    try:
        page.run()
    finally:  # also when the page stops early: its choices so far are in the address
        share_link(link_slot)


if __name__ == "__main__":
    main()
