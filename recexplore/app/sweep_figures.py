"""Plotly figures of a sweep record: pure functions, the record's dict in, go.Figure out.

Parallel coordinates of the finished trials (one axis per swept setting, the validation metric last,
each line coloured by it), the metric against each setting, and the best trial's validation curve
beside the preset's. Rates drawn log-uniformly sit on log10 axes; choices (widths, layer lists,
encoders) on axes of their own values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from recexplore.app.sweep_views import cell, finished, preset_trial, swept
from recexplore.config.metrics import label

BEST_COLOR = "#2a9d8f"
PRESET_COLOR = "#888888"


def _categories(values: list[Any]) -> list[str]:
    """A choice axis's values as text, in first-seen order (numbers sorted)."""
    texts = [str(cell(v)) for v in values]
    unique = list(dict.fromkeys(texts))
    try:
        return sorted(unique, key=float)
    except ValueError:
        return unique


def _axis(name: str, how: str, values: list[Any]) -> dict[str, Any]:
    """One parallel-coordinates axis for a setting's values."""
    if how == "choice" or any(not isinstance(v, (int, float)) or isinstance(v, bool) for v in values):
        categories = _categories(values)
        return {
            "label": name,
            "values": [categories.index(str(cell(v))) for v in values],
            "tickvals": list(range(len(categories))),
            "ticktext": categories,
            "range": [-0.5, len(categories) - 0.5] if len(categories) == 1 else [0, len(categories) - 1],
        }
    if how == "log" and all(v > 0 for v in values):
        return {"label": f"{name} (log10)", "values": [math.log10(v) for v in values]}
    return {"label": name, "values": [float(v) for v in values]}


def parallel_coordinates(record: Mapping[str, Any]) -> go.Figure | None:
    """The finished trials as lines across one axis per swept setting and the validation metric,
    coloured by that metric (the better, the brighter); None when no trial finished."""
    trials = finished(record)
    if not trials:
        return None
    metric = str(record["metric"])
    scores = [float(t["validation"]) for t in trials]
    axes = [
        _axis(name, how, [t["settings"].get(name) for t in trials])
        for name, how in swept(record).items()
        if all(name in t["settings"] for t in trials)
    ]
    axes.append({"label": f"validation {label(metric)}", "values": scores})
    line = {
        "color": scores,
        "colorscale": "Viridis",
        "reversescale": record.get("mode") == "min",  # an error: the lower, the brighter
        "showscale": True,
        "colorbar": {"title": {"text": label(metric)}},
    }
    fig = go.Figure(go.Parcoords(line=line, dimensions=axes))
    fig.update_layout(height=420, margin={"t": 60, "b": 30, "l": 60, "r": 60})
    return fig


def metric_against(record: Mapping[str, Any], name: str) -> go.Figure:
    """The validation metric of every finished trial against one swept setting (a log x axis for a
    log-uniform setting, categories for a choice); the best trial ringed."""
    trials = [t for t in finished(record) if name in t["settings"]]
    metric = str(record["metric"])
    how = swept(record).get(name, "uniform")
    xs = [cell(t["settings"][name]) for t in trials]
    best = record.get("best") or {}
    fig = go.Figure(
        go.Scatter(
            x=[str(x) for x in xs] if how == "choice" else xs,
            y=[t["validation"] for t in trials],
            mode="markers",
            marker={
                "size": 10,
                "color": BEST_COLOR,
                "line": {
                    "width": [3 if t["settings"] == best.get("settings") else 0 for t in trials],
                    "color": "black",
                },
            },
            hovertemplate=f"{name} %{{x}}<br>{label(metric)} %{{y:.4f}}<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis_title=name, yaxis_title=f"validation {label(metric)}", height=300, margin={"t": 20, "b": 40, "l": 50}
    )
    if how == "log":
        fig.update_xaxes(type="log")
    elif how == "choice":
        fig.update_xaxes(type="category", categoryorder="array", categoryarray=_categories(xs))
    return fig


def best_and_preset_curves(record: Mapping[str, Any]) -> go.Figure:
    """The best trial's validation curve, and the preset's own trial's beside it when the sweep ran one."""
    metric = str(record["metric"])
    fig = go.Figure()
    lines = [("best trial", record.get("best"), BEST_COLOR), ("preset", preset_trial(record), PRESET_COLOR)]
    for name, trial, color in lines:
        if trial and trial.get("curve"):
            curve = list(trial["curve"])
            fig.add_trace(
                go.Scatter(
                    x=list(range(1, len(curve) + 1)), y=curve, mode="lines+markers", name=name, line={"color": color}
                )
            )
    fig.update_layout(
        xaxis_title="epoch", yaxis_title=f"validation {label(metric)}", height=320, margin={"t": 20, "b": 40, "l": 50}
    )
    fig.update_xaxes(dtick=1)
    return fig


def trial_histories(record: Mapping[str, Any]) -> dict[str, list[dict[str, float]]]:
    """Each finished trial's validation curve as a per-epoch history under the record's metric key
    (the Runs page overlays them on its runs' curves)."""
    metric = str(record["metric"])
    return {
        f"sweep trial {i + 1}{' (preset)' if t.get('preset') else ''}": [
            {"epoch": e + 1, metric: float(v)} for e, v in enumerate(t["curve"])
        ]
        for i, t in enumerate(record.get("trials", []))
        if t.get("curve") and t.get("validation") is not None
    }
