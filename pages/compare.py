"""Compare towers: 1-, 2- and 3-layer two-tower models side by side, against the popularity baseline."""

from __future__ import annotations

from typing import Any

import streamlit as st

from recexplore.app import (
    links,
    loaded_data,
    messages,
    model_cache,
    model_choice,
    model_figures,
    session_workspace,
    split_baselines,
    training_jobs,
)
from recexplore.app.course_views import lesson_question
from recexplore.app.tower_comparison import (
    COMPARISON_METRICS,
    TowerRun,
    baseline_row,
    comparison_configs,
    comparison_rows,
    comparison_sentence,
    latest_comparison,
    paired_tests,
    popularity_value,
    test_rows,
    tests_sentence,
    training_caption,
)
from recexplore.app.train_forms import queue_message, refresh_interval, submit_problem
from recexplore.config.metrics import explain, label
from recexplore.data.movielens import MAX_SEED
from recexplore.engine.jobs import DONE, FINISHED
from recexplore.evaluation.significance import BOOTSTRAP_SAMPLES, BOOTSTRAP_SEED
from recexplore.families import RECOMMEND, family
from recexplore.training.request import TrainRequest

TOWERS = family("towers")  # the family table, never the family's module
PRESET_ENTRIES = {preset: entry for entry, preset in TOWERS.pretrained.items()}

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

SAVED, TRAIN_NOW = "Saved models", "Train all three now"

st.title("Compare towers")
lesson_question("pages/compare.py")
st.write(
    "Do deeper towers retrieve better? The same two-tower model with 1, 2 or 3 dense layers per "
    "tower, measured by hit-rate@k on held-out ratings (movies the user already rated excluded) "
    "beside the popularity baseline: recommending the most-rated movies to everyone."
)
st.caption(
    "EASE, the second baseline line, is a linear item-to-item model with a closed-form solution "
    "(a few seconds, once per split). It is hard to beat because on data this size the "
    "co-watching of items explains most of what people rate next, and EASE fits exactly that with "
    "no training noise: a deep model earns its keep only by adding what EASE cannot see. "
    "So the towers learn from it: a second loss term asks them to rank the movies a user has not "
    "rated as EASE (fitted on the training part only) does, and they add the user and movie "
    "features EASE never sees. Set the EASE teacher weight to 0 on Train to see them without it."
)

data = loaded_data.data_or_stop()
owner = session_workspace.workspace()

source = st.radio("Source", [SAVED, TRAIN_NOW], horizontal=True, key="compare_source")
k_label = st.radio("Hit-rate at", ["@100", "@10"], horizontal=True, key="compare_k")
if k_label is None:  # set from code: the radio itself cannot be cleared
    messages.stop_with("Pick a hit-rate cutoff: @100 or @10.")
k = int(k_label.lstrip("@"))


def show(
    runs: list[TowerRun], split_name: str, seed: int, partial: dict[str, list[dict[str, float]]] | None = None
) -> None:
    """Chart, sentence and table for finished runs, with the popularity and EASE baselines of
    their split; `partial` adds live curves of running jobs."""
    histories = {run.label: run.history for run in runs}
    histories.update(partial or {})
    popularity = popularity_value(runs, k)
    ease = split_baselines.ease_baseline(split_name, seed, data.fingerprint)
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
        tests = paired_tests(runs, split_baselines.ease_per_user(split_name, seed, data.fingerprint))
        if tests:
            st.markdown("**Is the difference real?**")
            st.info(tests_sentence(runs, tests), icon=":material/science:")
            st.dataframe(test_rows(tests), hide_index=True, key="compare_tests", width="stretch")
            st.caption(
                f"Paired bootstrap over this split's users ({BOOTSTRAP_SAMPLES} resamples, seed {BOOTSTRAP_SEED}): "
                "the same users' results under both models, resampled together; Holm-corrected over every row. "
                "`compare-towers --folds 5` tests over folds instead."
            )


if source == SAVED:
    entries = {e.name: e for e in model_choice.list_models(RECOMMEND)}
    runs = [
        TowerRun.from_meta(preset, entries[name].meta) for preset, name in PRESET_ENTRIES.items() if name in entries
    ]
    for run in runs:  # the saved entries' per-user values, measured once per model (cached)
        found = model_cache.beyond(PRESET_ENTRIES[run.label])["per_user"]
        run.per_user, run.popularity_per_user = found["model"], found["popularity"]
    if not runs:
        messages.stop_with(
            f"None of {', '.join(PRESET_ENTRIES.values())} is saved: run `python -m recexplore pretrain`, "
            "or choose 'Train all three now'."
        )
    broken = {
        e.name: e.problem
        for e in model_choice.list_models(only_ok=False)
        if e.name in PRESET_ENTRIES.values() and not e.ok
    }
    if broken:  # saved but unloadable: say so instead of calling them "not saved"
        st.warning("Left out, broken: " + "; ".join(f"{name} ({problem})" for name, problem in broken.items()) + ".")
    missing = [name for name in PRESET_ENTRIES.values() if name not in entries and name not in broken]
    if missing:
        st.caption(f"Not saved yet: {', '.join(missing)}.")
    first = next(entries[name].meta for name in PRESET_ENTRIES.values() if name in entries)
    show(runs, str(first.get("split", {}).get("name", "random")), int(first.get("seed", 42)))
    st.stop()

queue = training_jobs.job_manager_or_stop()
left, middle, right = st.columns(3)
same = left.checkbox("Same training for all three", value=False, key="compare_same")
epochs = left.slider("Epochs", 1, 30, TOWERS.config().epochs, key="compare_epochs", disabled=not same)
st.caption(training_caption() + " Tick 'Same training for all three' to see what that does.")
split_name = middle.selectbox("Split", data.available_splits(), key="compare_split")
seed = int(right.number_input("Seed", min_value=0, max_value=MAX_SEED, value=42, step=1, key="compare_seed"))
if st.button("Train all three", type="primary", key="compare_train"):
    configs = comparison_configs(int(epochs) if same else None)
    requests = [
        TrainRequest("towers", configs[preset], split_name, seed, label=f"two-tower {preset}", preset=preset)
        for preset in TOWERS.queue_order
    ]
    _, refused = submit_problem(queue, owner, requests, data)
    if refused is not None:
        messages.say(refused, "error")


@st.fragment(run_every=refresh_interval(latest_comparison(queue.jobs_for(owner))))
def live() -> None:
    """The three jobs of this workspace's last 'Train all three', redrawn every second while they train."""
    jobs = latest_comparison(queue.jobs_for(owner))
    if not jobs:
        st.caption("Press 'Train all three' to train the 1-, 2- and 3-layer towers on the same split and seed.")
        return
    runs, partial = [], {}
    cols = st.columns(len(jobs))
    for col, job in zip(cols, jobs, strict=True):
        snap = job.snapshot()
        preset = job.request.preset or snap["label"]
        total = max(int(snap["total_epochs"]), 1)
        with col:
            st.markdown(f"**{preset}** · {snap['status']}")
            if snap["status"] not in FINISHED:
                text = queue_message(snap["status"], queue.position(job))
                st.progress(min(snap["epoch"] / total, 1.0), text=f"{text} · epoch {snap['epoch']} / {total}")
                st.button("Cancel", key=f"compare_cancel_{snap['job_id']}", on_click=queue.cancel, args=(job,))
            elif snap["status"] == "failed":
                st.error(snap["error"])
        if job.status == DONE and job.result is not None:
            runs.append(TowerRun.from_result(preset, job.result))
        elif snap["history"]:
            partial[f"{preset} (training)"] = snap["history"]
    show(runs, jobs[0].request.split, jobs[0].request.seed, partial)
    if not runs:
        st.caption("Results appear as each model finishes.")
    finished = [(job.request.preset, job) for job in jobs if job.status == DONE and job.result is not None]
    if finished:
        _save_form(finished)
    if ACTIVE_AT_START and refresh_interval(jobs) is None:
        st.rerun()  # all three finished: one full run turns the polling off


SAVE_OUTCOME = "compare_save_outcome"


def _save_all(finished: list[tuple[str, Any]]) -> None:
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


def _save_form(finished: list[tuple[str, Any]]) -> None:
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
        args=(finished,),
    )
    outcome = st.session_state.get(SAVE_OUTCOME)
    if outcome is not None:
        saved, problems = outcome
        if saved:
            st.success(f"Saved {', '.join(saved)} in your workspace: they are now on the other pages.")
        for problem in problems:
            messages.say(problem, "error")


ACTIVE_AT_START = refresh_interval(latest_comparison(queue.jobs_for(owner))) is not None

live()
