"""Plotly figures of the Next movie page: pure functions, data in, go.Figure out."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

NEXT_COLOR = "#d62728"


def timeline_figure(timeline: pd.DataFrame) -> go.Figure:
    """The user's movies in watch order (x) by their stars (y, colour); the held-out next movie
    as a red star at the end."""
    history = timeline[timeline["part"] == "history"]
    nxt = timeline[timeline["part"] != "history"]
    fig = go.Figure(
        go.Scatter(
            x=history["position"],
            y=history["stars"],
            mode="markers",
            name="history",
            marker={
                "color": history["stars"],
                "colorscale": "Viridis",
                "cmin": 1,
                "cmax": 5,
                "size": 9,
                "showscale": True,
                "colorbar": {"title": "stars"},
            },
            text=history["movie_title"] + "<br>" + history["date"],
            hovertemplate="%{text}<br>%{y} stars<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=nxt["position"],
            y=nxt["stars"],
            mode="markers",
            name="next (held out)",
            marker={"symbol": "star", "size": 18, "color": NEXT_COLOR},
            text=nxt["movie_title"],
            hovertemplate="next: %{text}<br>%{y} stars<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis_title="movies in watch order",
        yaxis_title="stars",
        height=300,
        margin={"t": 20, "b": 40, "l": 50, "r": 10},
        legend={"orientation": "h", "y": 1.15},
    )
    fig.update_yaxes(range=[0.5, 5.5], dtick=1)
    return fig


def attention_figure(weights: pd.DataFrame) -> go.Figure:
    """How much the latest position attends to each of the last movies watched (oldest left)."""
    fig = go.Figure(
        go.Bar(
            x=[f"{p}. {t}" for p, t in zip(weights["position"], weights["movie_title"], strict=True)],
            y=weights["weight"],
            marker_color="#1f77b4",
            hovertemplate="%{x}<br>weight %{y:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        yaxis_title="attention weight",
        height=320,
        margin={"t": 20, "b": 120, "l": 50, "r": 10},
    )
    fig.update_xaxes(showticklabels=len(weights) <= 25)
    return fig
