"""Catalogue scale: exact against approximate top-k retrieval, recall@10 against query latency."""

from __future__ import annotations

import streamlit as st

from recexplore.app import index_panel, links, loaded_data, messages, model_cache, model_choice, prepare_panel
from recexplore.app.course_views import lesson_question
from recexplore.config.retrieval_index import CATALOGUE_SIZE
from recexplore.families import RETRIEVAL_INDEX

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

OWN, GROWN = "This data set's movies", "A generated larger catalogue"

st.title("Catalogue scale")
lesson_question("pages/approximate_retrieval.py")
st.write(
    "Recommend scores every movie for a user and keeps the best 10: brute force, exact, and its cost "
    "grows with the catalogue. An approximate index looks at a part of it: IVF clusters the movie "
    "vectors and searches only the `nprobe` clusters nearest the user; HNSW walks a graph linking "
    "each movie to its neighbours, keeping `efSearch` candidates. Both are far faster and may miss "
    "some of the exact top 10: recall@10 says how many they keep. Each point below is one setting "
    "(Faiss, on this model's vectors, timed on this machine); the star is brute force."
)

data = loaded_data.data_or_stop()
names = prepare_panel.model_names_or_offer(RETRIEVAL_INDEX)
left, right = st.columns(2)
model_name = model_choice.choose_model(left, "Retrieval model", names, RETRIEVAL_INDEX, key="scale_model")
try:
    n_movies = model_cache.recommender(model_name).n_candidates
except Exception as err:  # RegistryError / DataError: one line and a way forward
    messages.stop_with(f"{err}", "error")
source = right.radio("Catalogue", [OWN, GROWN], horizontal=True, key="scale_source")
size = n_movies
if source == GROWN:
    size = right.number_input(
        f"Movies (from {CATALOGUE_SIZE.low:,.0f} to {CATALOGUE_SIZE.high:,.0f})",
        value=50_000,
        step=10_000,
        key="scale_size",
    )
    right.caption(
        "Drawn from a Gaussian mixture fitted to this model's movie vectors (16 clusters, each with its "
        "own covariance), searched with the same users' query vectors."
    )

st.subheader(f"Recall against speed at {int(size):,} movies")
if source == GROWN and not CATALOGUE_SIZE.allows(size):
    messages.say(
        f"A generated catalogue here has from {CATALOGUE_SIZE.low:,.0f} to {CATALOGUE_SIZE.high:,.0f} movies, "
        f"got {size:,}: the bench below measures 1,000,000.",
        "error",
    )
else:
    index_panel.show(index_panel.measured(model_name, int(size)), "scale_live")

st.subheader("Measured by the bench: up to 1,000,000 movies")
bench = index_panel.bench_points()
if bench is None:
    st.caption("The bench has not run here: `python bench/ann_bench.py` writes bench/results/ann_bench.json.")
else:
    record, points = bench
    st.caption(f"Movie vectors: {record['source']}; {record['queries']} users' queries; {record['machine']}.")
    sizes = sorted({p.n_movies for p in points})
    shown = st.selectbox("Catalogue", sizes, index=len(sizes) - 1, format_func="{:,} movies".format, key="scale_bench")
    index_panel.show([p for p in points if p.n_movies == shown], "scale_bench")
