"""Plotly figure factories for the Data and Movie map pages: pure, data in, go.Figure out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from recexplore.app.data_views import GENRE_FAMILIES, GENRE_FAMILY_COLORS, MAP_COLOURINGS, OTHER_FAMILY

_MARGIN = {"t": 40, "b": 40, "l": 50, "r": 10}
HIGHLIGHT_COLOR = "#d62728"
MATCH_COLOR = "#ff00ff"
MAP_COLOUR_NAMES = {column: name for name, column in MAP_COLOURINGS.items()}


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = 320) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, height=height, margin=_MARGIN)
    return fig


def rating_histogram(distribution: pd.DataFrame) -> go.Figure:
    """Bars of ratings per star value (columns stars, ratings, share)."""
    fig = go.Figure(
        go.Bar(
            x=distribution["stars"],
            y=distribution["ratings"],
            customdata=distribution["share"],
            hovertemplate="%{x} stars: %{y} ratings (%{customdata:.1%})<extra></extra>",
        )
    )
    fig.update_xaxes(dtick=0.5 if (distribution["stars"] % 1 != 0).any() else 1)
    return _layout(fig, "Ratings per star value", "stars", "ratings")


def long_tail(counts: pd.DataFrame, id_column: str, title: str) -> go.Figure:
    """Ratings per entity sorted descending against rank, log y axis (columns rank, id, ratings)."""
    fig = go.Figure(
        go.Scatter(
            x=counts["rank"],
            y=counts["ratings"],
            mode="lines",
            customdata=counts[id_column],
            hovertemplate=f"rank %{{x}} · {id_column} %{{customdata}}: %{{y}} ratings<extra></extra>",
            fill="tozeroy",
        )
    )
    fig.update_yaxes(type="log")
    return _layout(fig, title, "rank (most ratings first)", "ratings (log)")


def genre_bars(genres: pd.DataFrame) -> go.Figure:
    """Grouped horizontal bars: movies and ratings per genre (ratings on a second axis)."""
    fig = go.Figure()
    fig.add_trace(
        go.Bar(y=genres["genre"], x=genres["movies"], name="movies", orientation="h", xaxis="x", offsetgroup=0)
    )
    fig.add_trace(
        go.Bar(y=genres["genre"], x=genres["ratings"], name="ratings", orientation="h", xaxis="x2", offsetgroup=1)
    )
    fig.update_layout(
        title="Movies and ratings per genre",
        height=520,
        margin={"t": 70, "b": 40, "l": 90, "r": 10},
        barmode="group",
        xaxis={"title": "movies"},
        xaxis2={"title": "ratings", "overlaying": "x", "side": "top"},
        legend={"orientation": "h", "y": -0.1},
    )
    fig.update_yaxes(autorange="reversed")
    return fig


def age_histogram(ages: Sequence[float] | np.ndarray, buckets: Sequence[int] = ()) -> go.Figure:
    """Histogram of user ages with the age-bucket lower bounds as dotted lines."""
    fig = go.Figure(go.Histogram(x=np.asarray(ages), xbins={"size": 2}, name="users"))
    for bound in buckets:
        fig.add_vline(x=bound, line_dash="dot", line_color="#888888")
    return _layout(fig, "User ages (dotted: age-bucket bounds)", "age", "users")


def category_bars(counts: pd.DataFrame, label: str, title: str, height: int = 320) -> go.Figure:
    """Horizontal bars of users per category (columns `label`, users), most common on top."""
    fig = go.Figure(go.Bar(y=counts[label], x=counts["users"], orientation="h"))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, "users", label, height=height)


def hour_of_day_encoding(curve: pd.DataFrame, marks: pd.DataFrame | None = None) -> go.Figure:
    """sin/cos of hour of day over 24 h; optional marks (hour of day, sin, cos) for real ratings."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=curve["hour"], y=curve["sin"], mode="lines", name="hour_of_day_sin"))
    fig.add_trace(go.Scatter(x=curve["hour"], y=curve["cos"], mode="lines", name="hour_of_day_cos"))
    if marks is not None and len(marks):
        for column, symbol in (("hour_of_day_sin", "circle"), ("hour_of_day_cos", "diamond")):
            fig.add_trace(
                go.Scatter(
                    x=marks["hour of day"],
                    y=marks[column],
                    mode="markers",
                    name=f"{column} (samples)",
                    marker={"symbol": symbol, "size": 9, "color": "black"},
                )
            )
    fig.update_xaxes(range=[0, 24], dtick=3)
    return _layout(fig, "Hour of day as a point on a circle: 23:00 sits next to 00:00", "hour of day (UTC)", "value")


def movie_map(
    points: pd.DataFrame,
    axes: tuple[str, str],
    title: str,
    selected: int | None = None,
    neighbours: Sequence[int] = (),
    colour: str = "genre",
    matches: Sequence[int] = (),
) -> go.Figure:
    """2-D scatter of movies coloured by a catalogue column; chosen movie, neighbours and title
    matches highlighted.

    Args:
        points: columns x, y, movie_title, movie_id and the `colour` column.
        axes: the x and y axis titles.
        title: the figure title.
        selected: position in `points` of the chosen movie, if any.
        neighbours: positions in `points` of its neighbours.
        colour: 'genre' (one trace per genre family, Okabe-Ito colours) or a numeric column
            ('ratings' is drawn on a log scale; missing values grey).
        matches: positions of movies whose title matched a search.
    """
    fig = go.Figure()
    if colour == "genre":
        families = [*GENRE_FAMILIES, OTHER_FAMILY]
        colors = dict(zip(families, GENRE_FAMILY_COLORS, strict=True))
        for genre, group in sorted(
            points.groupby("genre"), key=lambda g: families.index(g[0]) if g[0] in colors else 99
        ):
            fig.add_trace(
                go.Scatter(
                    x=group["x"],
                    y=group["y"],
                    mode="markers",
                    name=str(genre),
                    text=group["movie_title"],
                    customdata=group["movie_id"],
                    marker={"size": 6, "opacity": 0.6, "color": colors.get(genre, "#999999")},
                    hovertemplate="%{text}<br>movie_id %{customdata}<extra>" + str(genre) + "</extra>",
                )
            )
    else:
        raw = points[colour].to_numpy(np.float64)
        known = np.isfinite(raw)
        value = np.log10(np.maximum(raw, 1.0)) if colour == "ratings" else raw
        ticks = {"tickvals": [0, 1, 2, 3], "ticktext": ["1", "10", "100", "1000"]} if colour == "ratings" else {}
        group = points[known]
        fig.add_trace(
            go.Scatter(
                x=group["x"],
                y=group["y"],
                mode="markers",
                name=MAP_COLOUR_NAMES.get(colour, colour),
                text=group["movie_title"],
                customdata=np.stack([group["movie_id"], raw[known]], axis=1),
                marker={
                    "size": 6,
                    "opacity": 0.75,
                    "color": value[known],
                    "colorscale": "Viridis",
                    "showscale": True,
                    "colorbar": {"title": MAP_COLOUR_NAMES.get(colour, colour), **ticks},
                },
                hovertemplate="%{text}<br>movie_id %{customdata[0]}<br>"
                + MAP_COLOUR_NAMES.get(colour, colour)
                + " %{customdata[1]:.4g}<extra></extra>",
            )
        )
        if (~known).any():
            rest = points[~known]
            fig.add_trace(
                go.Scatter(
                    x=rest["x"],
                    y=rest["y"],
                    mode="markers",
                    name="unknown",
                    text=rest["movie_title"],
                    marker={"size": 5, "color": "#bbbbbb"},
                    hovertemplate="%{text}<extra>unknown</extra>",
                )
            )
    highlights = (
        (
            matches,
            "title matches",
            {"size": 11, "symbol": "diamond-open", "color": MATCH_COLOR, "line": {"width": 2}},
            "title match",
            "markers",
        ),
        (
            neighbours,
            "neighbours",
            {"size": 12, "color": "rgba(0,0,0,0)", "line": {"width": 2, "color": HIGHLIGHT_COLOR}},
            "neighbour",
            "markers",
        ),
        (
            [] if selected is None else [selected],
            "chosen movie",
            {"size": 16, "symbol": "star", "color": HIGHLIGHT_COLOR},
            "chosen",
            "markers+text",
        ),
    )
    for positions, name, marker, hover, mode in highlights:
        if len(positions):
            picked = points.iloc[list(positions)]
            fig.add_trace(
                go.Scatter(
                    x=picked["x"],
                    y=picked["y"],
                    mode=mode,
                    name=name,
                    text=picked["movie_title"],
                    textposition="top center",
                    marker=marker,
                    hovertemplate=f"%{{text}}<extra>{hover}</extra>",
                )
            )
    return _layout(fig, title, axes[0], axes[1], height=620)
