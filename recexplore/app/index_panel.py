"""Approximate retrieval on the pages: the Catalogue scale page's measurements (cached per model
and catalogue size) and the bench's table, and the index choice the Recommend page offers. The
computing is the library's (`serving.index_sweep`, `serving.retrieval_index`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from recexplore.app import model_cache
from recexplore.app.index_figures import recall_latency_figure
from recexplore.app.loaded_data import load_data
from recexplore.config.retrieval_index import HNSW, INDEX_KINDS, INDEX_TITLES, IVF, IndexConfig
from recexplore.serving.index_sweep import Point, grown_catalogue, measure, scale_sentence, sweep, table_rows
from recexplore.serving.retrieval_index import index_config

BENCH_RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "ann_bench.json"
SINGLES, REPEATS = 100, 3  # one-user queries and 256-user batches a live point is timed over
NPROBES = (1, 2, 4, 8, 16, 32, 64)
EF_SEARCHES = (8, 16, 32, 64, 128, 256, 512)


@st.cache_data(show_spinner="Building every index and timing each setting ...", max_entries=8)
def _measured(name: str, digest: str, fingerprint: str, size: int) -> list[Point]:
    rec = model_cache.recommender(name)
    movies = rec.candidate_vectors
    catalogue = movies if size == len(movies) else grown_catalogue(movies, size)
    return measure(catalogue, rec.query_vectors[1:], sweep(), singles=SINGLES, repeats=REPEATS)


def measured(name: str, size: int) -> list[Point]:
    """Brute force and every swept setting over model `name`'s movie vectors (`size` = its own
    movies) or a catalogue of `size` grown from them, queried with its users' vectors."""
    return _measured(name, model_cache.ready_model(name).digest, load_data().fingerprint, int(size))


def bench_points() -> tuple[dict[str, Any], list[Point]] | None:
    """The bench's record (bench/ann_bench.py) and its points, or None when it has not run here."""
    try:
        record = json.loads(BENCH_RESULTS.read_text(encoding="utf-8"))
        return record, [Point(**p) for p in record["points"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def show(points: list[Point], key: str) -> None:
    """Recall against latency drawn, the sentence on the fastest setting that keeps 0.95, and the table."""
    st.plotly_chart(recall_latency_figure(points), key=f"{key}_figure")
    st.info(scale_sentence(points), icon=":material/speed:")
    st.dataframe(table_rows(points), hide_index=True, key=f"{key}_table", width="stretch")


def index_choice(where: Any, n_movies: int, key: str) -> IndexConfig:
    """The Recommend page's 'Served by' choice (exact, IVF, HNSW) and the chosen index's search knob."""
    kind = where.selectbox("Served by", INDEX_KINDS, format_func=INDEX_TITLES.get, key=f"{key}_index")
    if kind == IVF:
        lists = IndexConfig().lists(n_movies)
        options = [n for n in NPROBES if n < lists] + [lists]  # the last: every list, exact by construction
        default = IndexConfig().nprobe
        nprobe = where.select_slider(
            f"nprobe: lists searched, of {lists}",
            options,
            value=default if default in options else options[-1],
            key=f"{key}_nprobe",
        )
        return index_config(kind=kind, nprobe=nprobe)
    if kind == HNSW:
        ef = where.select_slider(
            "efSearch: candidates kept while searching", EF_SEARCHES, value=IndexConfig().ef_search, key=f"{key}_ef"
        )
        return index_config(kind=kind, ef_search=ef)
    return index_config()


def served_line(index: str, recall: float, k: int) -> str:
    """'Served by HNSW (M=32, efSearch=64): recall@10 vs exact 1.00.'"""
    return f"Served by {index}: recall@{k} vs exact {recall:.2f}."
