"""RecExplore entry point: `streamlit run streamlit_app.py`."""

from __future__ import annotations

import os

import streamlit as st

from recexplore import app_state

st.set_page_config(page_title="RecExplore", page_icon="🎬", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/data.py", title="Data", icon="📊"),
    st.Page("pages/train.py", title="Train", icon="🏋️"),
    st.Page("pages/interactions.py", title="Feature interactions", icon="🔥"),
    st.Page("pages/compare.py", title="Compare towers", icon="📈"),
    st.Page("pages/recommend.py", title="Recommend", icon="🎯"),
    st.Page("pages/movie_map.py", title="Movie map", icon="🗺️"),
]


def sidebar() -> None:
    """Data source, device and Keras backend, on every page."""
    with st.sidebar:
        st.caption("Data source")
        try:
            data = app_state.load_data()
        except Exception as err:  # DataError; shown, never raised
            st.warning(str(err).split(":")[0])
        else:
            st.write(f"`{data.folder}`")
        facts = app_state.device_summary()
        st.caption("Device")
        st.write(facts["device"])
        st.caption("Keras backend")
        st.write(facts["backend"])
        if not os.environ.get("RECEXPLORE_DATA_DIR"):
            st.caption("Set RECEXPLORE_DATA_DIR to use a local ml-100k folder.")


page = st.navigation(PAGES)
sidebar()
page.run()
