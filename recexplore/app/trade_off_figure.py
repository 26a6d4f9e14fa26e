"""The multi-task trade-off drawn: RMSE against hit-rate@10, a point per retrieval weight, the
rating-only DLRM and the retrieval-only towers as reference lines. A pure function: data in, figure out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from recexplore.app.model_figures import BASELINE_COLORS
from recexplore.config.metrics import label


def trade_off_figure(view: Mapping[str, Any]) -> go.Figure:
    """`evaluation.multitask.trade_off`'s points joined in weight order (each labelled with its weight),
    the DLRM's RMSE as a horizontal line and the towers' hit-rate@10 as a vertical one."""
    points = view["points"]
    fig = go.Figure(
        go.Scatter(
            x=[p["hit_rate_at_10"] for p in points],
            y=[p["test_rmse"] for p in points],
            mode="lines+markers+text",
            text=[f"w={p['weight']:g}" for p in points],
            textposition="top center",
            name="multi-task, by retrieval weight",
        )
    )
    for i, (name, reference) in enumerate(view["references"].items()):
        for key, value in reference.items():
            place = fig.add_hline if key == "test_rmse" else fig.add_vline
            place(value, line_dash="dash", line_color=BASELINE_COLORS[i % 2], annotation_text=f"{name} {value:.3f}")
    fig.update_layout(
        xaxis_title=f"{label('hit_rate_at_10')} (higher is better)",
        yaxis_title=f"{label('test_rmse')} (lower is better)",
        height=420,
        margin={"t": 30, "b": 40, "l": 60, "r": 10},
    )
    return fig
