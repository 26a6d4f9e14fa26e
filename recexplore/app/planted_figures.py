"""The planted-crosses figures: the cross layer's pair heatmap with the planted pairs marked, and
test RMSE against parameters for the cross networks and the DNN control. Pure functions, no Streamlit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from recexplore.app.model_figures import interaction_heatmap
from recexplore.training.planted_crosses import Measured

KIND_COLORS = {"DCN": "#d62728", "DNN": "#1f77b4"}
PLANTED_MARK = "planted"
MIN_EXCESS = 1e-4  # where a point at or under the noise floor is drawn on the log axis


def planted_heatmap(
    names: Sequence[str], strengths: np.ndarray, planted: Sequence[tuple[int, int]], title: str = ""
) -> go.Figure:
    """The Feature interactions page's heatmap of |W_ij| with both cells of each planted pair
    outlined (W_ij and W_ji: either can carry the product x_i x_j)."""
    fig = interaction_heatmap(names, strengths, title)
    cells = [(a, b) for i, j in planted for a, b in ((i, j), (j, i))]
    fig.add_trace(
        go.Scatter(
            x=[names[b] for _, b in cells],
            y=[names[a] for a, _ in cells],
            mode="markers",
            marker={"symbol": "square-open", "size": 34, "color": "white", "line": {"width": 3}},
            name=PLANTED_MARK,
            hovertemplate="%{y} x %{x}: planted<extra></extra>",
            showlegend=True,
        )
    )
    fig.update_layout(legend={"orientation": "h", "y": -0.08})
    return fig


def rmse_against_params(measured: Sequence[Measured], floor: float, title: str = "") -> go.Figure:
    """Each contender a point: parameters across, test RMSE above the noise floor up (the floor is what
    a model that found the target exactly would score), both on log axes, where a linear model's 0.4
    and a cross network's 0.002 both show; one colour per kind. A point at or under the floor (luck
    on the test rows) is drawn at MIN_EXCESS; its hover says the real RMSE."""
    fig = go.Figure()
    for kind, color in KIND_COLORS.items():
        mine = [m for m in measured if m.kind == kind]
        fig.add_trace(
            go.Scatter(
                x=[m.params for m in mine],
                y=[max(m.rmse - floor, MIN_EXCESS) for m in mine],
                text=[m.name for m in mine],
                customdata=[m.rmse for m in mine],
                mode="markers+text",
                textposition="middle right",
                marker={"size": 12, "color": color},
                name=kind,
                hovertemplate="%{text}: %{x} parameters, test RMSE %{customdata:.4f}<extra></extra>",
            )
        )
    fig.update_xaxes(type="log", title="parameters (log scale)")
    fig.update_yaxes(type="log", title=f"test RMSE above the noise floor ({floor:.3f}), log scale")
    fig.update_layout(title=title, height=420, margin={"t": 40, "b": 40, "l": 40, "r": 10})
    return fig
