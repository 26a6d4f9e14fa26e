"""RecExplore entry point: `streamlit run streamlit_app.py`."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="RecExplore", page_icon="🎬", layout="wide")


def home() -> None:
    """Home page: what the app is, the data set and the saved models."""
    from recexplore import registry
    from recexplore.data import DataError, load_movielens

    st.title("RecExplore")
    st.write(
        "Train, load and look inside deep recommenders on MovieLens 100K: a DLRM rating model "
        "built on keras-rs `DotInteraction` and two-tower retrieval models served by "
        "`BruteForceRetrieval`, always measured beside the popularity baseline."
    )
    try:
        data = load_movielens(download=False)
    except DataError as err:
        st.warning(str(err))
    else:
        cols = st.columns(4)
        cols[0].metric("Ratings", f"{len(data.ratings):,}")
        cols[1].metric("Users", f"{len(data.users):,}")
        cols[2].metric("Movies", f"{len(data.movies):,}")
        cols[3].metric("Splits", ", ".join(data.available_splits()))
    st.subheader("Saved models")
    entries = registry.list_entries()
    if not entries:
        st.info("No saved models yet: run `python -m recexplore pretrain`.")
    rows = [
        {
            "name": e.name,
            "kind": e.kind,
            "status": "ok" if e.ok else f"broken: {e.problem}",
            "test RMSE": e.meta.get("metrics", {}).get("test_rmse"),
            "hit-rate@100": e.meta.get("metrics", {}).get("hit_rate_at_100"),
            "popularity hit-rate@100": e.meta.get("metrics", {}).get("popularity_hit_rate_at_100"),
        }
        for e in entries
    ]
    if rows:
        st.dataframe(rows, hide_index=True)


st.navigation([st.Page(home, title="Home", icon="🏠", default=True)]).run()
