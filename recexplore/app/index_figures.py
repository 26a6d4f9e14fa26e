"""Recall against speed drawn: recall@10 of each index setting against one user's query latency,
brute force as the reference point. A pure function: points in, figure out."""

from __future__ import annotations

from collections.abc import Iterable

import plotly.graph_objects as go

from recexplore.config.retrieval_index import EXACT, INDEX_TITLES
from recexplore.serving.index_sweep import Point


def recall_latency_figure(points: Iterable[Point]) -> go.Figure:
    """One line per index kind through its settings (each marker one setting, named by the knob it
    turns), brute force as a star; latency on a log axis (the settings span orders of magnitude)."""
    points = list(points)
    fig = go.Figure()
    for kind in dict.fromkeys(p.kind for p in points):
        mine = [p for p in points if p.kind == kind]
        exact = kind == EXACT
        fig.add_trace(
            go.Scatter(
                x=[p.single_p50_ms for p in mine],
                y=[p.recall_vs_exact for p in mine],
                mode="markers+text" if exact else "lines+markers+text",
                marker={"size": 16, "symbol": "star"} if exact else {"size": 9},
                text=["brute force" if exact else p.index.partition("(")[2].rstrip(")").split(", ")[-1] for p in mine],
                textposition="top left" if exact else "bottom right",
                name=INDEX_TITLES[kind],
                hovertext=[f"{p.index}: recall@10 {p.recall_vs_exact:.3f}, {p.single_p50_ms:.3f} ms" for p in mine],
                hoverinfo="text",
            )
        )
    fig.update_layout(
        xaxis={"title": "one user's query, p50 (ms, log scale; left is faster)", "type": "log"},
        yaxis={"title": "recall@10 vs exact (higher is better)", "range": [0, 1.05]},
        height=420,
        margin={"t": 30, "b": 40, "l": 60, "r": 10},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig
