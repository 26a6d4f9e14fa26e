"""The baselines of a split, cached: EASE's hit rates and per-user values, the rating baselines, an entry's metrics."""

from __future__ import annotations

from typing import Any

import streamlit as st

from recexplore.app.loaded_data import load_data
from recexplore.app.model_choice import task_of
from recexplore.app.runs import split_key
from recexplore.config.metrics import label
from recexplore.data.movielens import DataError
from recexplore.data.splits import make_split
from recexplore.families import TASKS, Task
from recexplore.store.entry_format import Entry


@st.cache_data(show_spinner="Fitting EASE, the linear baseline (once per split) ...", max_entries=16)
def ease_baseline(split_name: str, seed: int, fingerprint: str) -> dict[str, float] | None:
    """EASE's hit-rates on a split (cached on disk too), or None when the split cannot be made."""
    from recexplore.evaluation.ease_report import cached_report

    data = load_data()
    try:
        return cached_report(data, make_split(data, split_name, seed=seed), seed)
    except DataError:
        return None


@st.cache_data(show_spinner="Fitting EASE, the linear baseline (once per split) ...", max_entries=16)
def ease_per_user(split_name: str, seed: int, fingerprint: str) -> dict[str, list[float]] | None:
    """EASE's per-user values on a split (for paired tests), or None when the split cannot be made."""
    from recexplore.evaluation.ease_report import cached_report_with_users

    data = load_data()
    try:
        return cached_report_with_users(data, make_split(data, split_name, seed=seed), seed)[1]
    except DataError:
        return None


@st.cache_data(show_spinner=False, max_entries=32)
def split_peers(task_name: str, split_name: str, seed: int, fingerprint: str) -> dict[str, float] | None:
    """The peers a task shows beside its models on a split of the loaded data (`Task.saved_peers`),
    or None when the task has none, the split cannot be made or the data is not `fingerprint`'s."""
    task, data = TASKS[task_name], load_data()
    if task.saved_peers is None or data.fingerprint != fingerprint:
        return None
    return task.behaviour("saved_peers")(data, split_name, seed)


def curve_lines(task: Task, split: tuple[str, int, str]) -> dict[str, float] | None:
    """The lines a task's quality chart draws for a (split, seed, data fingerprint): its
    `curve_peers` under their plain names (a rating model's RMSE beside the rating baselines)."""
    if not task.curve_peers:
        return None
    found = split_peers(task.name, *split) or {}
    return {label(k): found[k] for k in task.curve_peers if k in found}


def entry_metrics(entry: Entry) -> dict[str, Any]:
    """An entry's saved metrics, plus the peers its task shows beside a saved model on its split
    (`Task.saved_peers`: EASE's once Compare towers or the CLI has computed it, the rating
    baselines for a rating model saved before they were stored)."""
    metrics = dict(entry.meta.get("metrics", {}))
    task = TASKS[task_of(entry.kind)]
    if task.saved_peers is None:
        return metrics
    split_name, seed, fingerprint = split_key(entry.meta)
    data = load_data()
    if data.fingerprint != fingerprint:
        return metrics
    return {**(task.behaviour("saved_peers")(data, split_name, seed) or {}), **metrics}  # what it saved wins
