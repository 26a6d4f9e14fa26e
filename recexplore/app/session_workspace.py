"""This session's workspace: its token (sign-in, the browser's cookie or the session), its names and its panel."""

from __future__ import annotations

import streamlit as st

from recexplore.app.links import resume_link
from recexplore.store import workspaces

WORKSPACE_KEY = "recexplore_workspace"  # session state: this session's workspace token


def workspace() -> str:
    """This session's workspace token. Signed in (sign-in configured): derived from the identity,
    the same on every device. Otherwise the browser's own, from the HttpOnly cookie the server
    sets on the first page load (`workspace_cookie.py`): a reload or a second tab finds the same
    jobs and saved models, and a copied address opens the page in the visitor's own workspace.
    Where no cookie came (cookies blocked, page tests) the workspace lasts for this session. The
    token is never put in the page's address: a `?ws=` parameter from an old link is removed unread."""
    from recexplore.app import sign_in

    signed_in = sign_in.identity_workspace()
    token = signed_in or browser_cookie() or st.session_state.get(WORKSPACE_KEY)
    if not workspaces.is_token(token):
        token = workspaces.new_token()
    if signed_in is not None:  # the teacher's view names the person beside the label
        workspace_names()[signed_in] = sign_in.who(sign_in.signed_in_user() or {})
    st.session_state[WORKSPACE_KEY] = token
    if workspaces.LEGACY_PARAM in st.query_params:
        del st.query_params[workspaces.LEGACY_PARAM]
    return str(token)


@st.cache_resource(show_spinner=False)
def workspace_names() -> dict[str, str]:
    """Signed-in people's names by workspace token, for the teacher's view (this server process)."""
    return {}


def browser_cookie() -> str | None:
    """The workspace token of this browser's cookie, when it sent a valid one."""
    try:
        found = st.context.cookies.get(workspaces.COOKIE_NAME)
    except Exception:  # no browser behind this run (bare script runs)
        return None
    return found if workspaces.is_token(found) else None


def workspace_panel(token: str) -> None:
    """Where this workspace lives, in an expander: signed in, kept by this browser (with the private
    link that opens it on another device), or for this session only."""
    from recexplore.app import sign_in

    with st.expander(f"Your workspace ({workspaces.label(token)})", icon=":material/lock:"):
        if sign_in.identity_workspace() is not None:
            st.write("It belongs to your sign-in: sign in on another device to find the same jobs and models there.")
            return
        if not workspace_is_kept():
            st.write(
                "This browser did not keep the workspace's cookie, so it lasts until you close or reload this tab."
            )
            return
        st.write(
            "It is kept by this browser: a reload or a second tab finds it, and a link you copy from the "
            "address bar opens only the page. To continue on another device, open this link there."
        )
        link = resume_link(token)
        if link is not None and st.toggle("Show my private link", key="workspace_show_resume"):
            st.warning("Private: anyone with this link can see and cancel your jobs and use your saved models.")
            st.code(link, language=None, wrap_lines=True)


def workspace_is_kept() -> bool:
    """True when this workspace outlives the session: signed in, or held by the browser's cookie."""
    from recexplore.app import sign_in

    return sign_in.identity_workspace() is not None or browser_cookie() == st.session_state.get(WORKSPACE_KEY)
