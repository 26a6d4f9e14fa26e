"""Plotly figures of the Beyond accuracy view: pure functions, data in, go.Figure out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from recexplore.app.model_figures import EASE_COLOR, POPULARITY_COLOR

BASELINE_NAMES = {"popularity": POPULARITY_COLOR, "EASE": EASE_COLOR}
MODEL_COLOR = "#1f77b4"
LABEL_POSITIONS = ("top center", "bottom center", "middle right", "middle left")


def accuracy_bias_scatter(points: Sequence[Mapping[str, Any]]) -> go.Figure:
    """One marker per model: NDCG@10 (accuracy) against the mean popularity percentile of its
    recommendations (popularity bias), marker area by catalogue coverage@10.

    Args:
        points: dicts with `name`, `ndcg_at_10`, `popularity_percentile_at_10`, `catalog_coverage_at_10`.
    """
    fig = go.Figure()
    for i, point in enumerate(points):
        coverage = float(point["catalog_coverage_at_10"])
        fig.add_trace(
            go.Scatter(
                x=[point["popularity_percentile_at_10"]],
                y=[point["ndcg_at_10"]],
                mode="markers+text",
                name=point["name"],
                text=[point["name"]],
                textposition=LABEL_POSITIONS[i % len(LABEL_POSITIONS)],  # neighbours' labels apart
                marker={
                    "size": 12 + 60 * np.sqrt(max(coverage, 0.0)),
                    "color": BASELINE_NAMES.get(point["name"], MODEL_COLOR),
                    "opacity": 0.75,
                    "line": {"width": 1, "color": "#222222"},
                },
                hovertemplate=(
                    f"{point['name']}<br>NDCG@10 %{{y:.3f}}<br>popularity percentile %{{x:.1f}}"
                    f"<br>catalogue coverage {coverage:.1%}<extra></extra>"
                ),
            )
        )
    fig.update_layout(
        xaxis_title="mean popularity percentile of the top 10 (100 = the most-rated movie)",
        yaxis_title="NDCG@10",
        showlegend=False,
        height=420,
        margin={"t": 30, "b": 50, "l": 60, "r": 10},
    )
    return fig


def long_tail_figure(curves: Mapping[str, Sequence[int]], users: int) -> go.Figure:
    """How often each movie is recommended, movies in order of training popularity, one line per scorer."""
    fig = go.Figure()
    for name, counts in curves.items():
        fig.add_trace(
            go.Scatter(
                x=np.arange(1, len(counts) + 1),
                y=np.asarray(counts) / max(users, 1),
                mode="lines",
                name=name,
                line={"color": BASELINE_NAMES.get(name), "width": 2 if name in BASELINE_NAMES else 3},
            )
        )
    fig.update_layout(
        xaxis_title="movie popularity rank in the training part (1 = the most rated)",
        yaxis_title="share of users whose top 10 holds it",
        height=360,
        margin={"t": 30, "b": 50, "l": 60, "r": 10},
    )
    fig.update_xaxes(type="log")
    return fig


def slices_figure(rows: Sequence[Mapping[str, Any]], model: str, key: str = "hit_rate_at_10") -> go.Figure:
    """Grouped bars per user group: the model's `key` beside the popularity baseline's."""
    groups = [f"{r['group']} ({r['users']})" for r in rows]
    fig = go.Figure(
        [
            go.Bar(x=groups, y=[r[key] for r in rows], name=model, marker_color=MODEL_COLOR),
            go.Bar(
                x=groups, y=[r[f"popularity_{key}"] for r in rows], name="popularity", marker_color=POPULARITY_COLOR
            ),
        ]
    )
    fig.update_layout(
        barmode="group",
        yaxis_title=key.replace("_at_", "@").replace("_", " "),
        height=380,
        margin={"t": 30, "b": 90, "l": 60, "r": 10},
        legend={"orientation": "h", "y": 1.1},
    )
    return fig
