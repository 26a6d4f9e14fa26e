"""Plotly figure factories for models: pure functions, data in, go.Figure out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

POPULARITY_COLOR = "#888888"
EASE_COLOR = "#444444"
BASELINE_COLORS = (POPULARITY_COLOR, EASE_COLOR)


def training_curves(
    history: Sequence[Mapping[str, float]],
    metrics: Sequence[str],
    title: str = "",
    baselines: Mapping[str, float] | None = None,
) -> go.Figure:
    """Per-epoch lines for the named history keys (missing keys are skipped).

    Args:
        history: one dict per epoch, with an 'epoch' key.
        metrics: history keys to draw, e.g. ('rmse', 'val_rmse').
        title: figure title.
        baselines: name -> value, each drawn as a labelled horizontal dashed line.
    """
    fig = go.Figure()
    epochs = [int(h.get("epoch", i + 1)) for i, h in enumerate(history)]
    for name in metrics:
        values = [h.get(name) for h in history]
        if any(v is not None for v in values):
            fig.add_trace(go.Scatter(x=epochs, y=values, mode="lines+markers", name=name))
    _baseline_lines(fig, baselines)
    fig.update_layout(title=title, xaxis_title="epoch", height=320, margin={"t": 40, "b": 40, "l": 40, "r": 10})
    fig.update_xaxes(dtick=1)
    return fig


def _baseline_lines(fig: go.Figure, baselines: Mapping[str, float] | None) -> None:
    """Each baseline as a labelled horizontal line (dashed, then dotted, alternating)."""
    for i, (name, value) in enumerate((baselines or {}).items()):
        fig.add_hline(
            y=value,
            line_dash="dash" if i % 2 == 0 else "dot",
            line_color=BASELINE_COLORS[i % 2],
            annotation_text=f"{name} {value:.3f}",
            annotation_position="bottom right" if i % 2 == 0 else "top right",
        )


def overlaid_curves(
    histories: Mapping[str, Sequence[Mapping[str, float]]],
    key: str,
    baselines: Mapping[str, float] | None = None,
    title: str = "",
) -> go.Figure:
    """One per-epoch line of `key` per run, with baselines as labelled horizontal lines."""
    fig = go.Figure()
    for label, history in histories.items():
        epochs = [int(h.get("epoch", i + 1)) for i, h in enumerate(history)]
        fig.add_trace(go.Scatter(x=epochs, y=[h.get(key) for h in history], mode="lines+markers", name=label))
    _baseline_lines(fig, baselines)
    fig.update_layout(
        title=title,
        xaxis_title="epoch",
        yaxis_title=key.replace("_", " "),
        height=360,
        margin={"t": 30 if not title else 40, "b": 40, "l": 50, "r": 10},
    )
    fig.update_xaxes(dtick=1)
    return fig


def hit_rate_comparison(
    histories: Mapping[str, Sequence[Mapping[str, float]]],
    popularity: float | None,
    key: str = "hit_rate_at_100",
    ease: float | None = None,
) -> go.Figure:
    """Overlaid hit-rate-per-epoch curves of several models with the popularity and EASE baselines
    as lines (a line is left out while its value is not known: None)."""
    lines = {name: value for name, value in (("popularity", popularity), ("EASE", ease)) if value is not None}
    return overlaid_curves(histories, key, lines)


def interaction_heatmap(names: Sequence[str], matrix: np.ndarray, title: str = "") -> go.Figure:
    """Symmetric feature-by-feature heatmap with hover values and names on both axes.

    NaN cells (the unused diagonal) are drawn grey and hover as "not used".
    """
    values = np.asarray(matrix, dtype=float)
    unused = np.where(np.isnan(values), 1.0, np.nan)
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=list(names),
            y=list(names),
            colorscale="Viridis",
            hovertemplate="%{y} x %{x}: %{z:.4f}<extra></extra>",
            hoverongaps=False,
        )
    )
    if not np.all(np.isnan(unused)):
        fig.add_trace(
            go.Heatmap(
                z=unused,
                x=list(names),
                y=list(names),
                showscale=False,
                colorscale=[[0, "#d0d0d0"], [1, "#d0d0d0"]],
                hoverongaps=False,
                hovertemplate="%{y} x itself: not used by DotInteraction<extra></extra>",
            )
        )
    fig.update_layout(title=title, height=520, margin={"t": 40, "b": 40, "l": 40, "r": 10})
    fig.update_yaxes(autorange="reversed")
    return fig


def contribution_bars(parts: Mapping[str, float], title: str = "") -> go.Figure:
    """Horizontal bars of additive contributions to one prediction."""
    labels = list(parts)
    values = [float(parts[k]) for k in labels]
    colors = ["#2a9d8f" if v >= 0 else "#e76f51" for v in values]
    fig = go.Figure(
        go.Bar(x=values, y=labels, orientation="h", marker_color=colors, hovertemplate="%{y}: %{x:+.3f}<extra></extra>")
    )
    fig.update_layout(title=title, height=60 + 28 * len(labels), margin={"t": 40, "b": 30, "l": 10, "r": 10})
    fig.update_yaxes(autorange="reversed")
    return fig
