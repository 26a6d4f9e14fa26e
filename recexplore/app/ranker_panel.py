"""The Compare rankers page's live panel: the last comparison's jobs, curves, table and verdict."""

from __future__ import annotations

import streamlit as st

from recexplore.app import messages, model_cache, model_choice, model_figures, prepare_panel, split_baselines
from recexplore.app.ranker_report import latest_rankers, report, saved_group, saved_report, table_rows
from recexplore.app.train_forms import queue_message, refresh_interval
from recexplore.data.movielens import DataError, MovieLens
from recexplore.engine.jobs import FINISHED, JobManager
from recexplore.engine.prepare import find_entry
from recexplore.evaluation.ranker_comparison import BASELINES, LIST_KEYS, LIST_PEERS
from recexplore.families import RATING, task_presets
from recexplore.store.entry_format import RegistryError

MAX_SAVED = 6  # saved rankers scored side by side (each is scored once on its split, then cached)


def saved_panel(data: MovieLens) -> None:
    """The saved rating models of this data set, the pretrained DLRM and listwise ranker first, on
    their split's held-out lists: the table and the list sentence, before anything is trained."""
    entries = [
        e
        for e in model_choice.list_models()
        if model_choice.task_of(e.kind) == RATING.name and e.meta.get("data_fingerprint") == data.fingerprint
    ]
    names = [e.name for e in entries]
    found = (find_entry(fam.default_entry, data.dataset, names) for fam, _ in task_presets(RATING))
    pinned = [name for name in dict.fromkeys(found) if name is not None]
    entries.sort(key=lambda e: (e.name not in pinned, pinned.index(e.name) if e.name in pinned else 0, e.name))
    group = saved_group([(e.name, e.kind, e.meta) for e in entries], pinned)[:MAX_SAVED]
    if not group:
        st.info(
            f"No saved listwise ranker beside a pointwise one for {data.source.title}: prepare the lessons' "
            "models below, or train the losses further down."
        )
        prepare_panel.prepare_section(data, "lesson")
        return
    try:
        scored = [
            (e.name, e.kind, e.meta, model_cache.test_metrics(e.name, (*BASELINES, *LIST_KEYS, *LIST_PEERS)))
            for e in (entries[i] for i in group)
        ]
    except (RegistryError, DataError) as err:
        messages.say(str(err), "error")
        return
    payload = saved_report(scored)
    st.caption(f"The saved models, each on the split it was trained on ({payload['splits'][0]}).")
    st.dataframe(table_rows(payload), hide_index=True, key="rankers_saved_table")
    st.markdown(f"**Ordering the held-out lists.** {payload['list_summary']}")


def live_panel(queue: JobManager, owner: str, needed: int, fingerprint: str) -> None:
    """The last comparison as a fragment, polling only while one of its jobs is queued or running."""
    run_every = refresh_interval(latest_rankers(queue.jobs_for(owner)))
    active_at_start = run_every is not None
    st.fragment(run_every=run_every)(_live)(queue, owner, needed, fingerprint, active_at_start)


def _live(queue: JobManager, owner: str, needed: int, fingerprint: str, active_at_start: bool) -> None:
    """The last comparison's jobs, redrawn every second while they train; the report when all are done."""
    jobs = latest_rankers(queue.jobs_for(owner))
    if not jobs:
        st.caption(f"Press 'Train all {needed}' to train every rating model on the same data.")
        return
    done = sum(j.status in FINISHED for j in jobs)
    st.progress(done / len(jobs), text=f"{done} of {len(jobs)} models finished")
    for job in jobs:
        snap = job.snapshot()
        if snap["status"] == "failed":
            st.error(f"{job.request.preset} on {job.request.split}: {snap['error']}")
        elif snap["status"] not in FINISHED:
            st.caption(
                f"{job.request.preset} on {job.request.split}: {queue_message(snap['status'], queue.position(job))}"
            )
    first_split = min(j.request.split for j in jobs)
    histories = {j.request.preset: j.snapshot()["history"] for j in jobs if j.request.split == first_split}
    lines = split_baselines.curve_lines(RATING, (first_split, jobs[0].request.seed, fingerprint))
    st.plotly_chart(
        model_figures.overlaid_curves(histories, "test_rmse", lines, f"Held-out RMSE per epoch on {first_split}"),
        key="rankers_curves",
    )
    payload = report(jobs)
    if payload is None:
        st.caption("The table and the verdict appear when every model has finished.")
    else:
        st.dataframe(table_rows(payload), hide_index=True, key="rankers_table")
        st.markdown(f"**Verdict.** {payload['summary']}")
        st.markdown(f"**Ordering the held-out lists.** {payload['list_summary']}")
        with st.expander("Every pair"):
            for verdict in payload["verdicts"]:
                st.write(verdict["sentence"])
            for verdict in payload["list_verdicts"]:
                st.write(verdict["sentence"])
    if active_at_start and refresh_interval(jobs) is None:
        st.rerun()  # all finished: one full run turns the polling off
