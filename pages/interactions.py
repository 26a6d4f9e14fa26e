"""Feature interactions: what rating models learned about feature pairs (DotInteraction strengths, DCN
cross weights), the two side by side, and one prediction taken apart."""

from __future__ import annotations

from typing import Any

import streamlit as st

from recexplore.app import links, loaded_data, model_cache, model_choice, prepare_panel
from recexplore.app.course_views import lesson_question
from recexplore.app.model_figures import contribution_bars, interaction_heatmap
from recexplore.evaluation.scoring import predict_ratings
from recexplore.families import CROSS_MATRIX, INTERACTIONS
from recexplore.serving.interactions import (
    feature_names,
    interaction_pairs,
    pair_agreement,
    pair_matrix,
    pairs_sentence,
    prediction_breakdown,
)

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

NO_COMPARISON = "(none)"
VIEWS = (INTERACTIONS, CROSS_MATRIX)

st.title("Feature interactions")
lesson_question("pages/interactions.py")
st.write(
    "Rating models embed every feature into the same space and then combine the embeddings pair by "
    "pair. **DLRM**'s `DotInteraction` takes the dot product of every pair, `dot(e_i, e_j)`, and its "
    "top MLP turns those numbers into a rating: the heatmap shows how strong each pair's dot is on "
    "**real ratings** (the mean absolute dot over a sample of held-out examples; the tutorial looked "
    "only at embedding row 0, the out-of-vocabulary row). The grey diagonal is each feature with "
    "itself, which `DotInteraction` (`self_interaction=False`) never computes. **DCN**'s "
    "`FeatureCross` learns the crosses explicitly, `x0 * (W x + b) + x`: its heatmap shows, for each "
    "pair of features, the size (Frobenius norm) of the block of the first cross layer's `W` that "
    "links them, as in the DCN-V2 paper. Pick one of each to see whether the two models found the "
    "same pairs."
)

data = loaded_data.data_or_stop()
names = prepare_panel.model_names_or_offer(*VIEWS)
model_choice.note_gone("interactions_model", names)
left, middle, right = st.columns(3)
name = model_choice.choose_model(left, "Rating model", names, INTERACTIONS, key="interactions_model")
others = [NO_COMPARISON, *[n for n in names if n != name]]
model_choice.note_gone("interactions_compare", others)
default_other = next((n for n in others if n == model_choice.preferred_entry(CROSS_MATRIX)), NO_COMPARISON)
other = middle.selectbox("Compare with", others, index=others.index(default_other), key="interactions_compare")
sample = right.slider("Ratings sampled (DotInteraction)", 200, 5000, 2000, step=200, key="interactions_sample")
ready = model_cache.model_or_stop(name)


@st.cache_data(show_spinner="Measuring interactions ...", max_entries=32)
def _strength(model_name: str, sha: str, n: int) -> tuple[str, list[list[float]]]:
    """The model's pair matrix and what its cells are: its cross weights, or DotInteraction's dots."""
    model = model_cache.ready_model(model_name)
    what, matrix = pair_matrix(model.kind, model.model, model.space, model.split.test, sample=n)
    return what, matrix.tolist()


TITLES = {
    "dot": "Mean |dot(e_i, e_j)| on held-out ratings",
    "cross": "||W_ij||, first cross layer",
}


def _heatmap(column: Any, model_name: str, key: str) -> tuple[list[str], Any, str] | None:
    """Draw one model's pair heatmap with its sentence; None (and why) when it has none."""
    shown = model_cache.model_or_stop(model_name)
    try:
        what, matrix = _strength(model_name, shown.digest, sample)
    except ValueError as err:  # the DNN control has no cross layers
        column.info(f"{model_name}: {err}.")
        return None
    labels = feature_names(shown.model)
    column.plotly_chart(interaction_heatmap(labels, matrix, f"{model_name}: {TITLES[what]}"), key=key)
    sentence = pairs_sentence(labels, matrix, "DotInteraction" if what == "dot" else "cross weights")
    if what == "cross":
        sentence += (
            " Row i, column j: how much feature j's part of the input enters the cross term that multiplies "
            "feature i's embedding; the diagonal counts, since a cross layer crosses a feature with itself."
        )
    column.caption(sentence)
    return labels, matrix, what


if other == NO_COMPARISON:
    mine = _heatmap(st, name, "interactions_heatmap")
else:
    a, b = st.columns(2)
    mine = _heatmap(a, name, "interactions_heatmap")
    theirs = _heatmap(b, other, "interactions_heatmap_other")
    if mine is not None and theirs is not None:
        if mine[0] != theirs[0]:
            st.caption("These two models do not embed the same features, so their pairs cannot be set side by side.")
        else:
            rho = pair_agreement(mine[1], theirs[1])
            st.markdown(
                f"**Do they agree?** Over the {len(mine[0]) * (len(mine[0]) - 1) // 2} feature pairs, the rank "
                f"correlation of the two models' pair strengths is **{rho:.2f}** (Spearman; 1: the same pairs "
                "matter most in both, 0: unrelated). The two numbers measure different things (a dot product "
                "on real examples, a weight block's size), so compare which pairs rank high, not the scales."
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
if model_choice.offers(ready.kind, INTERACTIONS):
    pairs = interaction_pairs(ready.model, ready.space, row, by_strength=True)
    st.dataframe(pairs, hide_index=True, key="interactions_pairs")
