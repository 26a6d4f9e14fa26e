"""RecExplore entry point: `streamlit run streamlit_app.py`."""

from __future__ import annotations

import streamlit as st

from recexplore import app_state
from recexplore.data import DATA_ENV
from recexplore.keras_guard import keep_keras_state_between_runs

keep_keras_state_between_runs()  # Streamlit would otherwise reset Keras for every thread after each run
st.set_page_config(page_title="RecExplore", page_icon=":material/movie:", layout="wide")

# Pages whose imports need Keras (TensorFlow); Home and Data do not.
KERAS_PAGES = {"Train", "Feature interactions", "Compare towers", "Recommend", "Movie map"}
PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/bar_chart:"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/interactions.py", title="Feature interactions", icon=":material/grid_on:"),
    st.Page("pages/compare.py", title="Compare towers", icon=":material/stacked_line_chart:"),
    st.Page("pages/recommend.py", title="Recommend", icon=":material/recommend:"),
    st.Page("pages/movie_map.py", title="Movie map", icon=":material/scatter_plot:"),
]


def sidebar() -> None:
    """Data source, device and Keras backend, on every page."""
    with st.sidebar:
        st.caption("Data source")
        try:
            data = app_state.load_data()
        except Exception as err:  # DataError; shown, never raised
            app_state.say(str(err).split(":")[0], "warning")
        else:
            st.write(app_state.data_description(data))
        device_panel(app_state.warm_up())
        if not app_state.data_source():
            st.caption(f"Set {DATA_ENV} to use a local ml-100k folder.")


def _show_device(facts: dict[str, str]) -> None:
    st.caption("Device")
    st.write(facts["device"])
    st.caption("Keras backend")
    st.write(facts["backend"])


def device_panel(warm: app_state.WarmUp) -> None:
    """Device and backend; while Keras is still loading in the background, a placeholder that
    polls once a second and reruns the app once the facts are known (then stops polling)."""
    if warm.device is not None:
        _show_device(warm.device)
        return
    if warm.keras_settled.is_set():  # the warm-up failed before it knew the device: say so, no polling
        _show_device({"device": "unknown", "backend": f"Keras did not load: {warm.error}"})
        return

    @st.fragment(run_every=1.0)
    def waiting() -> None:
        if warm.keras_settled.is_set():
            st.rerun(scope="app")
        st.caption("Device")
        st.write("Loading Keras ...")

    waiting()


page = st.navigation(PAGES)
app_state.workspace()  # every page's URL carries the workspace token, so a reload keeps the jobs
sidebar()
if page.title in KERAS_PAGES:
    app_state.wait_for_keras()
page.run()
