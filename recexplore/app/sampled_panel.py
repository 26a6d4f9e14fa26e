"""The Sampled metrics view's parts: each saved model measured once per setting (cached), and the
table of one task's models beside their peers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from recexplore.app import messages, model_cache
from recexplore.app.loaded_data import load_data
from recexplore.app.metric_names import show
from recexplore.data.movielens import DataError
from recexplore.evaluation.sampled import Sampling
from recexplore.evaluation.sampled_comparison import Measured, Scored, split_label
from recexplore.store.entry_format import RegistryError


@st.cache_data(show_spinner="Ranking full and sampled (once per model and setting) ...", max_entries=64)
def _measured(name: str, digest: str, fingerprint: str, n: int, kind: str, seed: int) -> dict[str, float]:
    """A saved model's and its peers' full and sampled metrics (`sampled_scoring.measure_prepared`)."""
    from recexplore.evaluation.sampled_scoring import measure_prepared

    ready = model_cache.ready_model(name)
    sampling = Sampling(n, kind, seed)
    return measure_prepared(ready.kind, ready.model, ready.space, ready.split, load_data(), (sampling,))


def measure(names: Sequence[str], sampling: Sampling) -> list[Measured]:
    """Every named model measured under `sampling`; a model that cannot be loaded is left out with
    one line, an N the data cannot give stops the page with one line."""
    found = []
    for name in names:
        try:
            ready = model_cache.ready_model(name)
            metrics = _measured(name, ready.digest, load_data().fingerprint, sampling.n, sampling.kind, sampling.seed)
        except ValueError as err:  # the chosen N: more than some user has left to draw
            messages.stop_with(str(err), "error")
        except (RegistryError, DataError) as err:
            messages.say(f"{name} is left out: {err}", "warning")
            continue
        found.append(Measured(name, ready.kind, split_label(ready.meta), metrics))
    return found


def table_rows(rows: Sequence[Scored]) -> list[dict[str, Any]]:
    """The table under a task's chart: best full hit rate first."""
    return [
        {
            "model": r.name,
            "full hit rate@10": show(r.full),
            "sampled hit rate@10": show(r.sampled),
            "sampled NDCG@10": show(r.sampled_ndcg),
            "inflation (sampled / full)": f"x {r.inflation:.1f}" if r.full > 0 else "—",
        }
        for r in sorted(rows, key=lambda r: -r.full)
    ]
