"""Planted crosses: a generated table whose target depends on chosen feature pairs, the cross networks
and the DNN control trained on it side by side, and the cross matrix with the planted pairs marked
(the keras-rs DCN example's opening demonstration, before MovieLens)."""

from __future__ import annotations

import streamlit as st

from recexplore.app import links, planted_panel
from recexplore.app.course_views import lesson_question

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

st.title("Planted crosses")
lesson_question("pages/planted_crosses.py")
st.write(
    "Before MovieLens, a table where we **know** which feature crosses matter: six numbers x1..x6 per "
    "row, and a target that is a linear part plus `strength x x_i x_j` for each pair you plant, plus "
    "noise. A `FeatureCross` layer computes `x0 * (W x + b) + x`, so one weight `W_ij` can write the "
    "product `x_i x_j` exactly; a plain MLP (the DNN control) has to approximate it. Both train on the "
    "same rows (as in the keras-rs DCN example): compare their test RMSE against their parameters, then "
    "look at the cross layer's matrix: do the planted pairs light up?"
)
planted_panel.show()
