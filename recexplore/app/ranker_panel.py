"""The Compare rankers page's live panel: the last comparison's jobs, curves, table and verdict."""

from __future__ import annotations

import streamlit as st

from recexplore.app import model_figures, split_baselines
from recexplore.app.ranker_report import latest_rankers, report, table_rows
from recexplore.app.train_forms import queue_message, refresh_interval
from recexplore.engine.jobs import FINISHED, JobManager
from recexplore.families import RATING


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
