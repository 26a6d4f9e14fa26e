"""Sign-in for a class server (optional, off by default): Streamlit's OIDC login gates the app.

On when the operator configures `[auth]` in `.streamlit/secrets.toml` (see docs/class-server.md).
A signed-in person's workspace is derived from their identity
(`workspaces.identity_token`: the provider's issuer and subject under the `[auth]` cookie
secret), so it follows them across devices; the Teacher's view opens for the identities listed
in `RECEXPLORE_TEACHERS` instead of the shared operator token.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import streamlit as st

from recexplore.engine.settings import TEACHERS_ENV
from recexplore.store import workspaces

SIGN_IN_KEY = "sign_in_button"


def configured() -> bool:
    """True when the operator has set up OIDC sign-in (`[auth]` in the secrets)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file, or one Streamlit cannot parse: sign-in stays off
        return False


def signed_in_user() -> Mapping[str, Any] | None:
    """The signed-in person's claims, or None (sign-in off, or nobody signed in yet)."""
    if not configured():
        return None
    user = st.user
    return user if user.get("is_logged_in") else None


def _cookie_secret() -> str:
    auth = st.secrets.get("auth", {})
    return str(auth.get("cookie_secret", "")) if isinstance(auth, Mapping) else ""


def identity_workspace() -> str | None:
    """The signed-in person's workspace token, or None when sign-in is off or nobody is signed in."""
    user = signed_in_user()
    if user is None:
        return None
    return workspace_of(user, _cookie_secret())


def workspace_of(user: Mapping[str, Any], secret: str) -> str:
    """The workspace token of an identity's claims: its issuer and subject (the email where a
    provider sends no subject) under the server's secret.

    Raises:
        ValueError: neither a subject nor an email, or no secret.
    """
    subject = str(user.get("sub") or user.get("email") or "")
    return workspaces.identity_token(str(user.get("iss") or ""), subject, secret)


def teachers(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """The teacher identities of `RECEXPLORE_TEACHERS` (comma-separated emails or subjects), lower-cased."""
    raw = (environ if environ is not None else os.environ).get(TEACHERS_ENV, "")
    return frozenset(part.strip().lower() for part in raw.split(",") if part.strip())


def is_teacher(user: Mapping[str, Any] | None, listed: frozenset[str]) -> bool:
    """True when the signed-in `user` is one of the `listed` identities: their subject, or their
    email unless the provider says it is unverified."""
    if not user or not listed:
        return False
    subject = str(user.get("sub") or "").lower()
    email = str(user.get("email") or "").lower()
    email_ok = bool(email) and user.get("email_verified", True) is not False
    return (bool(subject) and subject in listed) or (email_ok and email in listed)


def who(user: Mapping[str, Any]) -> str:
    """How the sidebar names a signed-in person."""
    return str(user.get("email") or user.get("name") or user.get("sub") or "signed in")


def gate() -> None:
    """With sign-in on, stop the page for anyone not signed in, with a sign-in button; else nothing."""
    if not configured() or signed_in_user() is not None:
        return
    st.title("RecExplore")
    st.write(
        "This class server asks you to sign in first: your trainings and saved models then follow you "
        "from one computer to the next, and nobody else sees them."
    )
    st.button("Sign in", key=SIGN_IN_KEY, type="primary", on_click=st.login)
    st.stop()


def sidebar_panel() -> None:
    """Who is signed in, and a sign-out button (nothing when sign-in is off)."""
    user = signed_in_user()
    if user is None:
        return
    st.caption("Signed in")
    st.write(who(user))
    st.button("Sign out", key="sign_out_button", on_click=st.logout)
