"""The multi-task lesson's trade-off: read from saved models, or trained now as jobs (one per
retrieval weight) with a live panel; the DLRM's and 1-layer towers' saved entries as reference points."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from recexplore.app import model_choice, training_jobs
from recexplore.app.trade_off_figure import trade_off_figure
from recexplore.app.train_forms import refresh_interval
from recexplore.config.metrics import label
from recexplore.engine.jobs import DONE, JobManager
from recexplore.engine.prepare import find_entry
from recexplore.evaluation.multitask import trade_off
from recexplore.families import family

KIND = "multitask"


def references(dataset: str) -> tuple[dict[str, float] | None, dict[str, float] | None]:
    """The saved DLRM's and 1-layer towers' metrics for this data set (their pretrained entries), or None."""
    entries = {e.name: e for e in model_choice.list_models()}
    found = []
    for kind in ("dlrm", "towers"):
        name = find_entry(family(kind).default_entry, dataset, entries)
        found.append(None if name is None else entries[name].meta.get("metrics", {}))
    return found[0], found[1]


def saved_points(dataset: str) -> list[tuple[float, dict[str, float]]]:
    """One (retrieval weight, metrics) per weight among the saved multi-task models of this data set,
    the pretrained entry first where there is one."""
    entries = [e for e in model_choice.list_models() if e.kind == KIND]
    pretrained = {find_entry(name, dataset, [e.name for e in entries]) for name in family(KIND).pretrained}
    entries.sort(key=lambda e: e.name not in pretrained)
    points: dict[float, dict[str, float]] = {}
    for entry in entries:
        weight = entry.meta.get("config", {}).get("retrieval_weight")
        metrics = entry.meta.get("metrics", {})
        if isinstance(weight, (int, float)) and {"test_rmse", "hit_rate_at_10"} <= set(metrics):
            points.setdefault(float(weight), metrics)
    return sorted(points.items())


def show(view: dict[str, Any], key: str) -> None:
    """The figure, the sentence and the table of one trade-off."""
    st.plotly_chart(trade_off_figure(view), key=f"{key}_chart")
    st.info(view["sentence"], icon=":material/balance:")
    names = {k: label(k) for k in ("test_rmse", "hit_rate_at_10")} | {"weight": "retrieval weight"}
    st.dataframe(view["points"], hide_index=True, key=f"{key}_table", column_config=names)


def latest_sweep(jobs: Sequence[Any]) -> list[Any]:
    """The multi-task jobs of this workspace's newest 'Train the weights' (newest first in `jobs`), by weight."""
    ours = [j for j in jobs if j.request.kind == KIND and j.group]
    if not ours:
        return []
    chosen = [j for j in ours if j.group == ours[0].group]
    return sorted(chosen, key=lambda j: j.request.config.retrieval_weight)


def live_panel(queue: JobManager, owner: str, dataset: str) -> None:
    """The last 'Train the weights' as a fragment, polling only while one of its jobs is queued or running."""
    run_every = refresh_interval(latest_sweep(queue.jobs_for(owner)))
    st.fragment(run_every=run_every)(_live)(queue, owner, dataset, run_every is not None)


def _live(queue: JobManager, owner: str, dataset: str, active_at_start: bool) -> None:
    jobs = latest_sweep(queue.jobs_for(owner))
    if not jobs:
        st.caption("Press 'Train the weights' to train one multi-task model per retrieval weight on the same split.")
        return
    for col, job in zip(st.columns(len(jobs)), jobs, strict=True):
        with col:
            training_jobs.job_status(queue, job, f"weight {job.request.config.retrieval_weight:g}", "multitask")
    done = [(j.request.config.retrieval_weight, j.result.metrics) for j in jobs if j.status == DONE and j.result]
    if done:
        show(trade_off(done, *references(dataset)), "multitask_live")
    if active_at_start and refresh_interval(jobs) is None:
        st.rerun()  # every weight finished: one full run turns the polling off
