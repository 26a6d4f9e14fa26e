"""Workspaces: a student's own jobs and saved models, behind an unguessable token.

The token stays with the browser, never in a page's address: the server gives each browser an
HttpOnly cookie holding it (`recexplore/app/workspace_cookie.py`), so a reload or a second tab
keeps it while a copied link opens the page in the visitor's own workspace. With sign-in on, the
token is derived from the signed-in identity instead (`identity_token`). It is checked on the
server for every job and entry. A workspace's saved models live in a registry folder of their
own, named by a digest of the token (the token itself is never written to disk or shown: pages
name a workspace by `label`). The shared registry (the pretrained entries, and what the operator
saves with the CLI) is read-only from the app: a workspace lists the shared entries plus its own,
never another's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from recexplore.store import registry
from recexplore.store.entry_format import WORKSPACES_FOLDER, Entry, RegistryError, check_name

WORKSPACES_ENV = "RECEXPLORE_WORKSPACES_DIR"
TOKEN_BYTES = 18  # 144 random bits, 24 URL-safe characters
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
COOKIE_NAME = "recexplore_workspace"  # the browser's workspace token (HttpOnly, set by the server)
COOKIE_MAX_AGE_S = 120 * 24 * 3600  # a term: the workspace outlives browser restarts, not the course
RESUME_PARAM = "resume"  # `?resume=TOKEN`: the explicit, private "continue on another device" link
LEGACY_PARAM = "ws"  # where links carried the token before: stripped, never adopted (copied links leaked it)
LABEL_CHARS = 6  # how much of the folder digest names a workspace on the teacher's view


def new_token() -> str:
    """A fresh, unguessable workspace token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_token(value: object) -> bool:
    """True for a string shaped like a workspace token."""
    return isinstance(value, str) and TOKEN_RE.fullmatch(value) is not None


def workspaces_root() -> Path:
    """The folder holding every workspace's saved models."""
    configured = os.environ.get(WORKSPACES_ENV)
    return Path(configured).expanduser() if configured else registry.models_dir() / WORKSPACES_FOLDER


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def workspace_dir(token: str) -> Path:
    """The registry folder of one workspace (named by a digest of its token)."""
    if not is_token(token):
        raise RegistryError("This page's workspace is not valid: open the app's start page again.")
    return workspaces_root() / _digest(token)[:32]


def preset_folders(token: str | None) -> tuple[Path | None, ...]:
    """Where the presets kept for a data set are looked for (`store.data_presets`): the workspace's
    own models first (its name wins a clash), then the shared ones (None: the default registry)."""
    return (None,) if token is None else (workspace_dir(token), None)


def label(token: str) -> str:
    """A short public name of a workspace: the start of its folder's digest (the token cannot be
    recovered from it, and the operator can find the folder by it)."""
    return _digest(token)[:LABEL_CHARS] if is_token(token) else "?" * LABEL_CHARS


def identity_token(issuer: str, subject: str, secret: str) -> str:
    """The workspace token of a signed-in person: an HMAC of their identity provider and subject
    under the server's secret, so it is stable across devices and sessions, and unguessable
    without the secret.

    Raises:
        ValueError: the subject or the secret is empty.
    """
    if not subject or not secret:
        raise ValueError("a signed-in workspace needs the identity's subject and the server's cookie secret")
    mac = hmac.new(secret.encode("utf-8"), f"recexplore-workspace\0{issuer}\0{subject}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:TOKEN_BYTES]).decode("ascii")


def own_entries(token: str) -> list[Entry]:
    """The workspace's saved entries (broken ones included)."""
    folder = workspace_dir(token)
    return registry.list_entries(folder) if folder.is_dir() else []


def visible_entries(token: str | None) -> list[Entry]:
    """Shared entries plus the workspace's own, by name; a shared entry hides an own one of the same name."""
    shared = registry.list_entries()
    names = {e.name for e in shared}
    own = [e for e in own_entries(token) if e.name not in names] if token else []
    return sorted(shared + own, key=lambda e: e.name)


def is_shared(name: str) -> bool:
    """True when `name` is an entry of the shared registry (read-only from the app)."""
    return registry.has_entry(name)


def save_problem(token: str, name: str, overwrite: bool, max_saved: int) -> str | None:
    """Why this workspace cannot save under `name` now, or None when it can."""
    try:
        check_name(name)
    except RegistryError as err:
        return str(err)
    if is_shared(name):
        return f"{name!r} is a shared model and cannot be replaced from the app: choose another name."
    own = {e.name for e in own_entries(token)}
    if name in own and not overwrite:
        return f"A model named {name!r} already exists: choose another name or tick 'overwrite'."
    if name not in own and len(own) >= max_saved:
        return (
            f"This workspace already holds {len(own)} saved models (the limit is {max_saved}): "
            "delete one before saving another."
        )
    return None


def save(token: str, model_bytes: bytes, meta: dict, name: str, overwrite: bool, max_saved: int) -> Entry:
    """Save a worker's model into the workspace, after `save_problem`'s checks.

    Raises:
        RegistryError: the name is refused (shared, taken, over the cap) or the save failed.
    """
    refused = save_problem(token, name, overwrite, max_saved)
    if refused is not None:
        raise RegistryError(refused)
    return registry.save_payload(model_bytes, meta, name, workspace_dir(token), overwrite=overwrite)


def delete(token: str, name: str) -> None:
    """Delete one of the workspace's own entries (shared ones are refused)."""
    if is_shared(name):
        raise RegistryError(f"{name!r} is a shared model and cannot be deleted from the app.")
    registry.delete(name, workspace_dir(token))
