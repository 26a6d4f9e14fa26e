"""Plotly figures of the Sampled metrics view: pure functions, data in, go.Figure out."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from recexplore.evaluation.sampled_comparison import Scored

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22")


def slope_chart(rows: Sequence[Scored], sampled_title: str) -> go.Figure:
    """One line per model from its full-ranking hit rate@10 (left) to its sampled one (right): a
    line crossing another is a pair sampling swaps; the slope is the inflation."""
    fig = go.Figure()
    axis = ["full ranking", sampled_title]
    for i, row in enumerate(rows):
        fig.add_trace(
            go.Scatter(
                x=axis,
                y=[row.full, row.sampled],
                mode="lines+markers+text",
                name=row.name,
                text=[f"{row.full:.3f}", f"{row.sampled:.3f}"],
                textposition=["middle left", "middle right"],
                line={"color": PALETTE[i % len(PALETTE)], "width": 2},
                hovertemplate=f"{row.name}<br>%{{x}}: %{{y:.4f}}<extra></extra>",
            )
        )
    fig.update_layout(
        yaxis_title="hit rate@10",
        yaxis_range=[0, 1],
        height=460,
        margin={"l": 60, "r": 60, "t": 30, "b": 40},
        legend={"orientation": "h", "y": -0.15},
    )
    return fig
