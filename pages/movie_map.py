"""Movie map: a two-tower model's candidate embeddings in 2-D (PCA) and a movie's nearest neighbours."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from recexplore import app_state, data_figures, data_views, embeddings

app_state.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

st.title("Movie map")
st.write(
    "A two-tower model's candidate tower turns every movie (id, title tokens, genres) into a vector; "
    "retrieval scores a user against these vectors. Movies the model finds alike get similar vectors. "
    "The map projects them to two dimensions with PCA (the two directions of largest variance; the "
    "axis titles say how much of the spread they keep), coloured by genre family: the 19 genres in "
    "8 colour-blind-safe families, a movie taking its most specific one. Pick a movie to list its nearest neighbours by cosine similarity in the full embedding space."
)

data = app_state.data_or_stop()
towers = app_state.model_names_or_stop("towers")
app_state.note_gone("map_model", towers)
model_name = st.selectbox("Two-tower model", towers, index=app_state.preferred_index(towers, "towers"), key="map_model")
ready = app_state.model_or_stop(model_name)
if ready.kind != "towers":
    app_state.stop_with(f"Model {model_name!r} is a {ready.kind} model; choose a two-tower model.", "error")


@st.cache_data(show_spinner="Embedding every movie ...", max_entries=8)
def _movie_map(name: str, sha: str, fingerprint: str, _ready: Any, _movies: Any) -> dict[str, Any]:
    """Embeddings (OOV row dropped), their PCA and the map points, once per (model, file sha, data)."""
    vectors = _ready.model.candidate_embeddings(_ready.space.candidate_features())[1:]
    coords, explained = embeddings.pca(vectors, n_components=2)
    catalogue = data_views.movie_catalogue(_ready.vocab, _movies)
    return {"vectors": vectors, "explained": explained, "points": data_views.map_points(catalogue, coords)}


try:
    view = _movie_map(model_name, ready.digest, data.fingerprint, ready, data.movies)
except Exception as err:  # a model that cannot embed this catalogue: one line, no traceback
    app_state.stop_with(f"Could not embed the movies with {model_name!r}: {err}", "error")
points, vectors, explained = view["points"], view["vectors"], view["explained"]

left, right = st.columns([3, 1])
order = points.sort_values("movie_title", kind="stable")
labels = {int(m): f"{t} · #{int(m)}" for m, t in zip(order["movie_id"], order["movie_title"], strict=True)}
most_rated = int(data_views.ratings_per(data.ratings, "movie_id")["movie_id"].iloc[0]) if len(data.ratings) else None
options = list(labels)
movie_id = left.selectbox("Movie (type to search by title)", options, format_func=labels.get,
                          index=options.index(most_rated) if most_rated in labels else 0, key="map_movie")  # fmt: skip
k = right.slider("Neighbours", min_value=5, max_value=30, value=10, key="map_k")
if movie_id not in labels:  # None, set from code: the box itself cannot be cleared
    app_state.stop_with("Pick a movie to list its nearest neighbours.")

position = int(np.flatnonzero(points["movie_id"].to_numpy() == movie_id)[0])
near, sims = embeddings.nearest_neighbours(vectors, position, k)
table = data_views.neighbour_table(points, near, sims)

st.caption(
    f"{len(points)} movies · {vectors.shape[1]}-dimensional embeddings · PC1 + PC2 explain "
    f"{float(explained.sum()):.0%} of the variance."
)
st.plotly_chart(data_figures.movie_map(points, explained, position, near), key="map_chart")
chosen = points.iloc[position]
st.subheader(f"Nearest {len(table)} to {chosen['movie_title']}")
st.caption(f"Genres: {chosen['genres']}. Cosine similarity 1 = same direction, 0 = unrelated.")
st.dataframe(table, hide_index=True, key="map_neighbours", width="stretch")
