"""Feature interactions: the DotInteraction strength heatmap of a DLRM and one prediction taken apart."""

from __future__ import annotations

import streamlit as st

from recexplore.app import state
from recexplore.app.model_figures import contribution_bars, interaction_heatmap
from recexplore.feature_interactions import feature_names, interaction_pairs, interaction_strength, prediction_breakdown
from recexplore.scoring import predict_ratings

state.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

st.title("Feature interactions")
st.write(
    "DLRM embeds every feature into the same space and `DotInteraction` takes the dot product "
    "of every pair of embeddings, `dot(e_i, e_j)`; the top MLP then turns those numbers into "
    "a rating. The heatmap shows how strong each pair's interaction is on **real ratings**: "
    "the mean absolute dot product over a sample of actual examples (the tutorial looked only "
    "at embedding row 0, the out-of-vocabulary row, which no real example uses). The grey "
    "diagonal is each feature with itself: `DotInteraction` (`self_interaction=False`) never "
    "computes those dots, so they play no part in any prediction."
)

data = state.data_or_stop()
dlrms = state.model_names_or_stop("dlrm")
state.note_gone("interactions_model", dlrms)
left, right = st.columns(2)
name = left.selectbox("DLRM model", dlrms, index=state.preferred_index(dlrms, "dlrm"), key="interactions_model")
sample = right.slider("Ratings sampled", 200, 5000, 2000, step=200, key="interactions_sample")
ready = state.model_or_stop(name)


@st.cache_data(show_spinner="Measuring interactions ...", max_entries=32)
def _strength(model_name: str, sha: str, n: int) -> list[list[float]]:
    model = state.ready_model(model_name)
    return interaction_strength(model.model, model.space, model.split.test, sample=n).tolist()


strength = _strength(name, ready.digest, sample)
st.plotly_chart(
    interaction_heatmap(feature_names(ready.model), strength, "Mean |dot(e_i, e_j)| on held-out ratings"),
    key="interactions_heatmap",
)

st.subheader("One rating, taken apart")
test = ready.split.test
index = st.number_input(
    "Held-out rating number", min_value=0, max_value=len(test) - 1, value=0, step=1, key="interactions_row"
)
row = test.iloc[[int(index)]]
movie = data.movies.loc[data.movies["movie_id"] == int(row["movie_id"].iloc[0]), "movie_title"].iloc[0]
predicted = float(predict_ratings(ready.model, ready.space.dlrm_features(row))[0])
cols = st.columns(3)
cols[0].metric("User", int(row["user_id"].iloc[0]))
cols[1].metric("Actual stars", f"{float(row['user_rating'].iloc[0]):.0f}")
cols[2].metric("Predicted stars", f"{predicted:.2f}")
st.caption(f"Movie: {movie}")
parts = prediction_breakdown(ready.model, ready.space, row)
st.plotly_chart(
    contribution_bars(parts, f"Sum = {sum(parts.values()):.3f} (clipped to 1-5: {predicted:.2f})"),
    key="interactions_parts",
)
pairs = interaction_pairs(ready.model, ready.space, row, by_strength=True)
st.dataframe(pairs, hide_index=True, key="interactions_pairs")
