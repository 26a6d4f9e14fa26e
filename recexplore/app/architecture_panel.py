"""The architecture expander: a model's layers, measured output shapes and parameters (cached)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from recexplore.app.loaded_data import load_data
from recexplore.data.features import Vocabularies
from recexplore.families import family


@st.cache_data(show_spinner=False, max_entries=64)
def architecture_rows(kind: str, config: dict[str, Any], vocab_sizes: dict[str, int]) -> list[dict[str, Any]]:
    """The layer table of the model a (kind, config) builds for these vocabulary sizes."""
    from recexplore.serving.architecture import architecture_of_config

    return architecture_of_config(kind, family(kind).config.from_saved(config), vocab_sizes)


@st.cache_data(show_spinner=False, max_entries=4)
def _vocab_sizes(fingerprint: str) -> dict[str, int]:
    return Vocabularies.build(load_data()).sizes()


def vocab_sizes(meta: dict[str, Any] | None = None) -> dict[str, int]:
    """Vocabulary sizes of a saved entry's meta, or of the loaded data (what a new job gets)."""
    if meta is not None:
        return Vocabularies.from_dict(meta["vocab"]).sizes()
    return _vocab_sizes(load_data().fingerprint)


def show_architecture(kind: str, config: dict[str, Any], vocab_sizes: dict[str, int], key: str) -> None:
    """An expander with the model's layers, measured output shapes and parameters."""
    with st.expander("Architecture: layers, output shapes, parameters"):
        rows = architecture_rows(kind, config, vocab_sizes)
        shown = [{**r, "layer": "\u2003" * r["depth"] + r["layer"].rsplit("/", 1)[-1]} for r in rows]
        st.dataframe(
            shown,
            hide_index=True,
            key=key,
            width="stretch",
            column_order=("layer", "type", "output shape", "parameters", "role"),
        )
        total = sum(r["parameters"] for r in rows if r["depth"] == 0)
        where = family(kind).architecture_note
        st.caption(
            f"{total:,} trainable parameters. {where}. Shapes are measured by running the model once on a dummy batch."
        )
