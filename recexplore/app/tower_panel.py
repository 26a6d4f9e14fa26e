"""The Compare towers page's comparison view, its live panel of the three jobs, and their save form."""

from __future__ import annotations

import streamlit as st

from recexplore.app import messages, model_figures, split_baselines, training_jobs
from recexplore.app.tower_comparison import (
    COMPARISON_METRICS,
    TowerRun,
    baseline_row,
    comparison_rows,
    comparison_sentence,
    latest_comparison,
    paired_tests,
    popularity_value,
    test_rows,
    tests_sentence,
)
from recexplore.app.train_forms import refresh_interval
from recexplore.config.metrics import explain, label
from recexplore.engine.jobs import DONE, Job, JobManager
from recexplore.evaluation.significance import BOOTSTRAP_SAMPLES, BOOTSTRAP_SEED

SAVE_OUTCOME = "compare_save_outcome"


def show_comparison(
    runs: list[TowerRun],
    k: int,
    split_name: str,
    seed: int,
    fingerprint: str,
    partial: dict[str, list[dict[str, float]]] | None = None,
) -> None:
    """Chart, sentence and table for finished runs, with the popularity and EASE baselines of
    their split; `partial` adds live curves of running jobs."""
    histories = {run.label: run.history for run in runs}
    histories.update(partial or {})
    popularity = popularity_value(runs, k)
    ease = split_baselines.ease_baseline(split_name, seed, fingerprint)
    ease_k = None if ease is None else ease[f"ease_hit_rate_at_{k}"]
    if histories:  # live curves from the first epoch; the popularity line once a model has finished
        st.plotly_chart(
            model_figures.hit_rate_comparison(histories, popularity, f"hit_rate_at_{k}", ease_k), key="compare_chart"
        )
    if runs:
        st.info(comparison_sentence(runs, k))
        rows = comparison_rows(runs) + ([baseline_row("EASE (linear baseline)", ease, "ease_")] if ease else [])
        st.dataframe(
            rows,
            hide_index=True,
            key="compare_table",
            column_config={label(k): st.column_config.TextColumn(help=explain(k)) for k in COMPARISON_METRICS},
        )
        baselines = {run.metrics.get(f"popularity_hit_rate_at_{k}") for run in runs}
        if len(baselines) > 1:
            st.caption("These models were trained on different splits: the baseline line is the first model's.")
            return
        tests = paired_tests(runs, split_baselines.ease_per_user(split_name, seed, fingerprint))
        if tests:
            st.markdown("**Is the difference real?**")
            st.info(tests_sentence(runs, tests), icon=":material/science:")
            st.dataframe(test_rows(tests), hide_index=True, key="compare_tests", width="stretch")
            st.caption(
                f"Paired bootstrap over this split's users ({BOOTSTRAP_SAMPLES} resamples, seed {BOOTSTRAP_SEED}): "
                "the same users' results under both models, resampled together; Holm-corrected over every row. "
                "`compare-towers --folds 5` tests over folds instead."
            )


def live_panel(queue: JobManager, owner: str, k: int, fingerprint: str) -> None:
    """The last 'Train all three' as a fragment, polling only while one of its jobs is queued or running."""
    run_every = refresh_interval(latest_comparison(queue.jobs_for(owner)))
    active_at_start = run_every is not None
    st.fragment(run_every=run_every)(_live)(queue, owner, k, fingerprint, active_at_start)


def _live(queue: JobManager, owner: str, k: int, fingerprint: str, active_at_start: bool) -> None:
    """The three jobs of this workspace's last 'Train all three', redrawn every second while they train."""
    jobs = latest_comparison(queue.jobs_for(owner))
    if not jobs:
        st.caption("Press 'Train all three' to train the 1-, 2- and 3-layer towers on the same split and seed.")
        return
    runs, partial = [], {}
    cols = st.columns(len(jobs))
    for col, job in zip(cols, jobs, strict=True):
        preset = job.request.preset or job.label
        with col:
            snap = training_jobs.job_status(queue, job, preset, "compare")
        if job.status == DONE and job.result is not None:
            runs.append(TowerRun.from_result(preset, job.result))
        elif snap["history"]:
            partial[f"{preset} (training)"] = snap["history"]
    show_comparison(runs, k, jobs[0].request.split, jobs[0].request.seed, fingerprint, partial)
    if not runs:
        st.caption("Results appear as each model finishes.")
    finished = [(job.request.preset, job) for job in jobs if job.status == DONE and job.result is not None]
    if finished:
        save_form(queue, finished)
    if active_at_start and refresh_interval(jobs) is None:
        st.rerun()  # all three finished: one full run turns the polling off


def _save_all(queue: JobManager, finished: list[tuple[str, Job]]) -> None:
    """Save button callback: every finished model of the comparison as `<prefix>-<preset>` in this workspace."""
    prefix = str(st.session_state.get("compare_save_prefix", "")).strip()
    overwrite = bool(st.session_state.get("compare_overwrite", False))
    saved, problems = [], []
    for preset, job in finished:
        name = f"{prefix}-{preset}"
        refused = training_jobs.save_job(queue, job, name, overwrite)
        if refused is None:
            saved.append(name)
        else:
            problems.append(refused)
    st.session_state[SAVE_OUTCOME] = (saved, problems)


def save_form(queue: JobManager, finished: list[tuple[str, Job]]) -> None:
    """Save the comparison's finished models under one name prefix."""
    left, right = st.columns([3, 2])
    left.text_input(
        "Save as (name prefix; each model gets -1-layer, -2-layer, -3-layer)", "my-towers", key="compare_save_prefix"
    )
    right.checkbox("overwrite models of those names", key="compare_overwrite")
    st.button(
        f"Save the {len(finished)} finished model{'s' if len(finished) > 1 else ''}",
        key="compare_save",
        on_click=_save_all,
        args=(queue, finished),
    )
    outcome = st.session_state.get(SAVE_OUTCOME)
    if outcome is not None:
        saved, problems = outcome
        if saved:
            st.success(f"Saved {', '.join(saved)} in your workspace: they are now on the other pages.")
        for problem in problems:
            messages.say(problem, "error")
