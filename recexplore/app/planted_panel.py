"""The Planted crosses page's body: the choices (which pairs, how strong, how much noise, how many
rows), the cached training of the cross networks and the DNN control, and what they show."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from recexplore.app import messages
from recexplore.app.planted_figures import planted_heatmap, rmse_against_params
from recexplore.data.planted import DEFAULT_PAIRS, PlantedCrosses, all_pairs, pair_label
from recexplore.serving.interactions import pairs_sentence
from recexplore.serving.planted_crosses import found_sentence
from recexplore.training.planted_crosses import PlantedResult, run_planted

DEFAULTS = PlantedCrosses()
ROW_CHOICES = (2_000, 5_000, 10_000, 20_000, 50_000)


@st.cache_data(show_spinner="Training the cross networks and the DNN control ...", max_entries=16)
def _run(pairs: tuple[tuple[int, int], ...], strength: float, noise: float, rows: int) -> PlantedResult:
    """One run per choice, kept for every visitor (the same choice trains once)."""
    return run_planted(PlantedCrosses(pairs=pairs, strength=strength, noise=noise, rows=rows))


def _choice() -> PlantedCrosses:
    """The visitor's data set, or a one-line error and the page stops."""
    labels = {pair_label(p): p for p in all_pairs(DEFAULTS.n_features)}
    left, middle, right, far = st.columns([3, 1, 1, 1])
    chosen = left.multiselect(
        "Planted pairs",
        list(labels),
        default=[pair_label(p) for p in DEFAULT_PAIRS],
        key="planted_pairs",
        help="The target is a linear part plus strength x (the product of each chosen pair) plus noise.",
    )
    strength = middle.number_input(
        "Strength",
        value=DEFAULTS.strength,
        step=0.5,
        key="planted_strength",
        help=f"The weight of each planted product: {PlantedCrosses.bound('strength').describe()}.",
    )
    noise = right.number_input(
        "Noise",
        value=DEFAULTS.noise,
        step=0.1,
        key="planted_noise",
        help=f"The noise's standard deviation: {PlantedCrosses.bound('noise').describe()}.",
    )
    rows = far.selectbox("Rows", ROW_CHOICES, index=ROW_CHOICES.index(DEFAULTS.rows), key="planted_rows")
    try:
        return PlantedCrosses(pairs=tuple(labels[c] for c in chosen), strength=strength, noise=noise, rows=rows)
    except ValueError as err:
        messages.stop_with(str(err), "error")


def _table(result: PlantedResult) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": [m.name for m in result.measured],
            "kind": [m.kind for m in result.measured],
            "parameters": [m.params for m in result.measured],
            "test RMSE": [round(m.rmse, 4) for m in result.measured],
            "above the floor": [round(m.rmse - result.floor, 4) for m in result.measured],
        }
    )


def show() -> None:
    """The choices, then the run: the table and RMSE against parameters, then the cross matrix."""
    spec = _choice()
    result = _run(spec.pairs, spec.strength, spec.noise, spec.rows)
    planted = " and ".join(pair_label(p) for p in spec.pairs)
    st.subheader("Who finds the crosses: RMSE against parameters")
    st.dataframe(_table(result), hide_index=True, key="planted_table")
    st.plotly_chart(
        rmse_against_params(result.measured, result.floor, "Above the noise floor: the held-out fifth"),
        key="planted_rmse",
    )
    dcn = result.measured[0]
    best = min((m for m in result.measured if m.kind == "DNN"), key=lambda m: m.rmse)
    st.caption(
        f"The noise floor ({result.floor:.4f}) is the test RMSE of the true target itself. {dcn.name} "
        f"({dcn.params} parameters) scores {dcn.rmse:.4f}; the best DNN, {best.name} ({best.params:,} "
        f"parameters), {best.rmse:.4f}. A cross layer writes x_i x_j in one weight; an MLP has to "
        "approximate each product with its ReLU pieces. Trained together on the same batches, "
        f"{result.spec.rows - result.spec.test_rows:,} training rows, in {result.seconds:.1f} s."
    )
    st.subheader("What the cross layer learned")
    names = list(result.names)
    st.plotly_chart(
        planted_heatmap(names, result.strengths, spec.pairs, "|W_ij|, the cross layer (planted pairs outlined)"),
        key="planted_heatmap",
    )
    st.caption(
        f"Planted: {planted}. {pairs_sentence(names, result.strengths, 'cross weights')} "
        f"{found_sentence(result)} Each cell is computed as on Feature interactions (the block norm of "
        "the first cross layer's W; here each feature is one number, so a block is one weight)."
    )
    st.info(
        "Now MovieLens: on Feature interactions the pretrained DCN's matrix is nearly flat, and on Compare "
        "rankers the cross layers add nothing measurable over the DNN control. The layer can find crosses; "
        "the ratings do not ask for them (or the embeddings already carry them)."
    )
