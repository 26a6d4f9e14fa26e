"""Page addresses: the entry through streamlit_app.py, page choices kept in the link, the shareable and resume links."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import streamlit as st

from recexplore.store import workspaces


def through_the_entrypoint() -> None:
    """Every page calls this first. A shared link to a page (/recommend, /train) that is a fresh
    server's first request makes Streamlit run the page file alone, in its legacy multipage mode
    (it sees a pages/ folder and streamlit_app.py has not called st.navigation yet): file names
    in the menu, no sidebar, no warm-up, no Keras guard. Leave that mode and rerun: the same URL
    then runs streamlit_app.py, whose navigation shows this page properly. A no-op otherwise
    (and under AppTest, which runs page files as their own apps)."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what st.navigation itself sets on its first call
        st.rerun()


# Page choices a link may carry (`?model=...&user=...`): a shared link reopens them, never an identity.
LINK_PARAMS = ("model", "user")


def linked_index(param: str, options: list[Any], fallback: int) -> int:
    """The position in `options` of the link's `?param=` value, or `fallback` when it names none."""
    found = st.query_params.get(param)
    values = [str(o) for o in options]
    return values.index(found) if found in values else fallback


def link_choice(param: str, value: object) -> None:
    """Keep a page choice in its address (`?param=value`), so that its link reopens it."""
    if value is None:
        st.query_params.pop(param, None)
    elif st.query_params.get(param) != str(value):
        st.query_params[param] = str(value)


def page_link() -> str | None:
    """This page's shareable address: the page and its chosen user and model, no identity (None
    where no browser sent its address, as in page tests)."""
    base = st.context.url
    if not base:
        return None
    kept = {k: st.query_params[k] for k in LINK_PARAMS if k in st.query_params}
    return base + (f"?{urlencode(kept)}" if kept else "")


def resume_link(token: str) -> str | None:
    """The private link that opens workspace `token` in another browser (None without a browser address)."""
    base = st.context.url
    return f"{base}?{urlencode({workspaces.RESUME_PARAM: token})}" if base else None
