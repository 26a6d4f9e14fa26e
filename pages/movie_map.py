"""Movie map: a two-tower model's candidate embeddings in 2-D (PCA or t-SNE), coloured and searchable."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from recexplore.app import (
    data_figures,
    data_views,
    links,
    loaded_data,
    messages,
    model_cache,
    model_choice,
    movie_geometry,
    prepare_panel,
)
from recexplore.app.course_views import lesson_question
from recexplore.families import MOVIE_MAP

PROJECTIONS = ("PCA", "t-SNE")

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

st.title("Movie map")
lesson_question("pages/movie_map.py")
st.write(
    "A two-tower model's candidate tower turns every movie (id, title tokens, genres) into a vector; "
    "retrieval scores a user against these vectors. Movies the model finds alike get similar vectors. "
    "The map draws them in two dimensions, by **PCA** (the two directions of largest variance; the axis "
    "titles say how much of the spread they keep) or by **t-SNE** (keeps each movie's near neighbours "
    "near; far distances and cluster sizes mean little). Colour by genre family (the 19 genres in 8 "
    "colour-blind-safe families, a movie taking its most specific one), popularity, release year or "
    "mean rating. Pick a movie to list its nearest neighbours by cosine similarity in the full space."
)

data = loaded_data.data_or_stop()
towers = prepare_panel.model_names_or_offer(MOVIE_MAP)
model_choice.note_gone("map_model", towers)
top_left, top_mid, top_right = st.columns([2, 1, 2])
model_name = model_choice.choose_model(top_left, "Two-tower model", towers, MOVIE_MAP, key="map_model")
projection = top_mid.radio("Projection", list(PROJECTIONS), horizontal=True, key="map_projection")
colouring = top_right.selectbox("Colour by", list(data_views.MAP_COLOURINGS), key="map_colour")
ready = model_cache.model_or_stop(model_name)
if not model_choice.offers(ready.kind, MOVIE_MAP):
    messages.stop_with(f"Model {model_name!r} is a {ready.kind} model; choose a two-tower model.", "error")


@st.cache_data(show_spinner="Embedding every movie ...", max_entries=8)
def _movie_map(name: str, sha: str, fingerprint: str, _ready: Any, _data: Any) -> dict[str, Any]:
    """Embeddings (OOV row dropped), their PCA and the catalogue, once per (model, file sha, data)."""
    vectors = _ready.model.candidate_embeddings(_ready.space.candidate_features())[1:]
    coords, explained = movie_geometry.pca(vectors, n_components=2)
    catalogue = data_views.movie_catalogue(_ready.vocab, _data.movies, _data.ratings)
    return {"vectors": vectors, "explained": explained, "pca": coords, "catalogue": catalogue}


@st.cache_data(show_spinner="Computing t-SNE (once per model, a few seconds) ...", max_entries=8)
def _tsne(name: str, sha: str, fingerprint: str, _vectors: Any, _ratings: Any) -> dict[str, Any]:
    return movie_geometry.tsne_map(_vectors, _ratings, seed=0)


try:
    view = _movie_map(model_name, ready.digest, data.fingerprint, ready, data)
    vectors, explained, catalogue = view["vectors"], view["explained"], view["catalogue"]
    map_note = ""
    if projection == "t-SNE":
        found = _tsne(model_name, ready.digest, data.fingerprint, vectors, catalogue["ratings"].to_numpy())
        coords, map_note = found["coords"], found["note"]
        axes, title = ("t-SNE 1", "t-SNE 2"), "Candidate-tower movie_geometry, t-SNE to 2-D"
    else:
        coords = view["pca"]
        axes = (f"PC1 ({float(explained[0]):.0%} of variance)", f"PC2 ({float(explained[1]):.0%} of variance)")
        title = "Candidate-tower movie_geometry, PCA to 2-D"
    points = data_views.map_points(catalogue, coords)
except Exception as err:  # a model that cannot embed this catalogue: one line, no traceback
    messages.stop_with(f"Could not embed the movies with {model_name!r}: {err}", "error")

left, mid, right = st.columns([2, 2, 1])
order = points.sort_values("movie_title", kind="stable")
labels = {int(m): f"{t} · #{int(m)}" for m, t in zip(order["movie_id"], order["movie_title"], strict=True)}
most_rated = int(data_views.ratings_per(data.ratings, "movie_id")["movie_id"].iloc[0]) if len(data.ratings) else None
options = list(labels)
movie_id = left.selectbox(
    "Movie (type to search by title)",
    options,
    format_func=labels.get,
    index=options.index(most_rated) if most_rated in labels else 0,
    key="map_movie",
)
search = mid.text_input("Highlight titles containing", key="map_search", max_chars=80, placeholder="e.g. Star Wars")
k = right.slider("Neighbours", min_value=5, max_value=30, value=10, key="map_k")
if movie_id not in labels:  # None, set from code: the box itself cannot be cleared
    messages.stop_with("Pick a movie to list its nearest neighbours.")

position = int(np.flatnonzero(points["movie_id"].to_numpy() == movie_id)[0])
near, sims = movie_geometry.nearest_neighbours(vectors, position, k)
table = data_views.neighbour_table(points, near, sims)
matches = data_views.title_matches(points, search)

st.caption(
    f"{len(points)} movies · {vectors.shape[1]}-dimensional embeddings · PC1 + PC2 explain "
    f"{float(explained.sum()):.0%} of the variance."
    + (f" · {len(matches)} titles contain {search.strip()!r}" if search.strip() else "")
    + (f" · {map_note} (the others have no t-SNE position; their neighbours are still listed)" if map_note else "")
)
colour = data_views.MAP_COLOURINGS[colouring]
st.plotly_chart(data_figures.movie_map(points, axes, title, position, near, colour, matches), key="map_chart")
chosen = points.iloc[position]
st.subheader(f"Nearest {len(table)} to {chosen['movie_title']}")
st.caption(f"Genres: {chosen['genres']}. Cosine similarity 1 = same direction, 0 = unrelated.")
st.dataframe(table, hide_index=True, key="map_neighbours", width="stretch")
