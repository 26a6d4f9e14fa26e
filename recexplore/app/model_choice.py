"""Which saved models a page offers and the widgets that pick them: listing, view and task checks, stale choices."""

from __future__ import annotations

from typing import Any

import streamlit as st

from recexplore.app.links import link_choice, linked_index
from recexplore.app.loaded_data import load_data
from recexplore.app.messages import stop_with
from recexplore.app.session_workspace import workspace
from recexplore.data.movielens import DataError
from recexplore.data.sources import DEFAULT_DATASET
from recexplore.engine.prepare import entry_names
from recexplore.families import families, family
from recexplore.store import registry, workspaces
from recexplore.store.entry_format import Entry, RegistryError


def models_dir() -> str:
    """The registry folder in use."""
    return str(registry.models_dir())


def list_models(view: str | tuple[str, ...] | None = None, only_ok: bool = True) -> list[Entry]:
    """The shared entries plus this workspace's own (optionally only those whose family offers
    `view`, or one of several views, optionally only loadable ones); a message and a stopped
    page when the registry folder itself is unusable."""
    try:
        entries = workspaces.visible_entries(workspace())
    except RegistryError as err:
        stop_with(str(err), "error")
    views = (view,) if isinstance(view, str) else view
    here = _current_dataset()
    return [
        e
        for e in entries
        if (views is None or any(offers(e.kind, v) for v in views))
        and (e.ok or not only_ok)
        and (here is None or e.meta.get("dataset", DEFAULT_DATASET) == here)
    ]


def _current_dataset() -> str | None:
    """The loaded data set's name (models trained on another data set are not offered), or None
    when no data set loads."""
    try:
        return load_data().dataset
    except DataError:
        return None


def offers(kind: str, view: str) -> bool:
    """Whether the family `kind` offers `view` (False for a kind no family has)."""
    try:
        return family(kind).offers(view)
    except ValueError:
        return False


def task_of(kind: str) -> str | None:
    """The task ('rating', 'retrieval') of the family `kind`, or None for a kind no family has."""
    try:
        return family(kind).task.name
    except ValueError:
        return None


def note_gone(key: str, options: list[str]) -> None:
    """One warning when the model picked under widget `key` on an earlier run is no longer among
    `options` (deleted, broken or of another kind): call it before drawing the selectbox, which
    otherwise falls back to its default without saying why."""
    previous = st.session_state.get(key)
    if not isinstance(previous, str) or previous in options:
        return
    entry = next((e for e in list_models(only_ok=False) if e.name == previous), None)
    if entry is None:
        why = "is not in the models folder"
    elif not entry.ok:
        why = f"is broken ({entry.problem})"
    else:
        why = f"is a {entry.kind} model and cannot be used here"
    st.warning(f"Model {previous!r} {why}, so it is no longer offered here.")


def forget_widgets(keys: tuple[str, ...]) -> None:
    """Drop these widgets' values (an on_change callback): on the next run they show their
    defaults again, e.g. the chosen tower depth's own epochs and learning rate."""
    for key in keys:
        st.session_state.pop(key, None)


def _defaults(view: str) -> list[str]:
    """The pretrained defaults of the families offering `view`, each by every name it has on the
    loaded data set (its name there first: `engine.prepare.entry_names`)."""
    here = _current_dataset() or DEFAULT_DATASET
    return [name for f in families(view=view) for name in entry_names(f.default_entry, here)]


def preferred_entry(view: str) -> str | None:
    """The pretrained default of the first family offering `view`, by the name it is listed under
    on the loaded data set (else by its name there)."""
    candidates = _defaults(view)
    listed = {e.name for e in list_models(view)}
    return next((n for n in candidates if n in listed), candidates[0] if candidates else None)


def preferred_index(names: list[str], view: str) -> int:
    """Position of the first pretrained default of the families offering `view` in `names` (0 when none is there)."""
    preferred = _defaults(view)
    return next((names.index(p) for p in preferred if p in names), 0)


def choose_model(where: Any, title: str, names: list[str], view: str, key: str) -> str | None:
    """A model selectbox in `where` (a column, the page) that opens on the link's `?model=`, else
    on the pretrained default of `view`, and keeps the choice in the page's address (None only
    when code cleared the box: the page's own checks say so)."""
    name = where.selectbox(title, names, index=linked_index("model", names, preferred_index(names, view)), key=key)
    link_choice("model", name)
    return name
