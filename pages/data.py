"""Data: the data set at a glance, then the feature preprocessing the models use, on real rows."""

from __future__ import annotations

from typing import Any

import streamlit as st

from recexplore.app import data_figures, data_views, links, loaded_data
from recexplore.data.features import DENSE_FEATURES, MAX_TITLE_TOKENS, Vocabularies
from recexplore.data.movielens import AGE_BUCKETS, MovieLens

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app


@st.cache_data(show_spinner=False, max_entries=4)
def _summaries(fingerprint: str, _data: MovieLens) -> dict[str, Any]:
    """Everything the charts need, computed once per data set (keyed on its fingerprint)."""
    return {
        "overview": data_views.overview(_data),
        "stars": data_views.rating_distribution(_data.ratings),
        "per_user": data_views.ratings_per(_data.ratings, "user_id"),
        "per_movie": data_views.ratings_per(_data.ratings, "movie_id"),
        "genres": data_views.genre_counts(_data.movies, _data.ratings, _data.genres),
        "genders": data_views.category_counts(_data.users, "user_gender", "gender"),
        "occupations": data_views.category_counts(_data.users, "user_occupation_text", "occupation"),
    }


@st.cache_resource(show_spinner=False, max_entries=4)
def _vocabularies(fingerprint: str, _data: MovieLens) -> Vocabularies:
    return Vocabularies.build(_data)


st.title("Data")
data = loaded_data.data_or_stop()
views = _summaries(data.fingerprint, data)
vocab = _vocabularies(data.fingerprint, data)
st.write(
    data_views.introduction(data, views["overview"])
    + " Most users and movies have few ratings and a handful have very many: this long tail is why "
    "popularity is a strong baseline. Below the charts, the same rows as the models see them: "
    "every categorical feature becomes an index into a vocabulary (0 = out of vocabulary), time "
    "becomes points on a circle, and titles become token ids."
)


# ---------------------------------------------------------------- at a glance
facts = views["overview"]
cols = st.columns(5)
cols[0].metric("Users", f"{facts['users']:,}")
cols[1].metric("Movies", f"{facts['movies']:,}")
cols[2].metric("Ratings", f"{facts['ratings']:,}")
cols[3].metric("Density", f"{facts['density']:.1%}", help="Share of all user x movie pairs that have a rating.")
cols[4].metric("Mean rating", f"{facts['mean_rating']:.2f} ★")

st.header("Ratings")
left, right = st.columns(2)
left.plotly_chart(data_figures.rating_histogram(views["stars"]), key="data_stars_chart")
with right:
    which = st.radio("Long tail of", ["Ratings per user", "Ratings per movie"], horizontal=True, key="data_tail")
    if which == "Ratings per user":
        st.plotly_chart(data_figures.long_tail(views["per_user"], "user_id", "Ratings per user"), key="data_tail_chart")
    else:
        st.plotly_chart(
            data_figures.long_tail(views["per_movie"], "movie_id", "Ratings per movie"), key="data_tail_chart"
        )
per_user, per_movie = views["per_user"]["ratings"], views["per_movie"]["ratings"]
st.caption(
    f"Ratings per user: median {per_user.median():.0f}, max {per_user.max()} · "
    f"ratings per movie: median {per_movie.median():.0f}, max {per_movie.max()}, "
    f"{int((per_movie == 1).sum())} movies rated once."
)

st.header("Genres")
st.plotly_chart(data_figures.genre_bars(views["genres"]), key="data_genres_chart")
st.caption("A movie can have several genres; it counts once in each. The Movie map colours movies by their first.")

st.header("Users")
if data.missing_features:
    st.info(
        f"{data.source.title} has no user demographics ({', '.join(data.missing_features)}). The models' "
        "gender, age and occupation inputs are the unknown index 0 for every user, so they learn from user "
        "ids, what each user rated, movie genres, titles and time."
    )
else:
    left, mid, right = st.columns([2, 1, 2])
    left.plotly_chart(data_figures.age_histogram(data.users["raw_user_age"], AGE_BUCKETS), key="data_age_chart")
    mid.plotly_chart(data_figures.category_bars(views["genders"], "gender", "Gender"), key="data_gender_chart")
    right.plotly_chart(
        data_figures.category_bars(views["occupations"], "occupation", "Occupations", height=520),
        key="data_occupation_chart",
    )

# ---------------------------------------------------------------- preprocessing
st.header("From rows to model inputs")
st.write(
    "Every model encodes features with the same vocabularies, stored beside each saved model so "
    "it can be reloaded and queried without the data. Pick how many real rows to show."
)
left, right = st.columns(2)
n_rows = left.slider("Example rows", min_value=1, max_value=20, value=5, key="data_rows")
seed = right.number_input("Sample seed", min_value=0, max_value=1_000_000, value=0, step=1, key="data_seed")

st.subheader("Vocabularies")
left, right = st.columns([1, 1])
with left:
    st.caption("Embedding-table sizes: vocabulary + one out-of-vocabulary row at index 0.")
    st.dataframe(data_views.vocabulary_sizes(vocab), hide_index=True, key="data_vocab_sizes")
with right:
    st.caption("The first entries of each vocabulary (sorted values; index 0 catches anything unseen).")
    examples = data_views.vocabulary_examples(vocab, n=3)
    st.dataframe(examples, hide_index=True, key="data_vocab_examples", height=300)

st.subheader("Time as a circle")
st.write(
    "A timestamp's hour of day (and hour of week) is encoded as sine and cosine, so 23:00 and "
    "00:00 are neighbours rather than 23 apart. The DLRM's dense inputs are "
    + ", ".join(f"`{f}`" for f in DENSE_FEATURES)
    + "."
)
rated = data_views.time_encoding_rows(data_views.sample(data.ratings, n_rows, int(seed)))
st.plotly_chart(data_figures.hour_of_day_encoding(data_views.hour_of_day_curve(), rated), key="data_time_chart")
st.dataframe(rated, hide_index=True, key="data_time_rows")

st.subheader("Age buckets and the gender x age cross")
st.write(
    f"Ages fall into buckets with lower bounds {', '.join(str(b) for b in AGE_BUCKETS)}. The query "
    "tower also embeds the *cross* of gender and age bucket: one index per (gender, bucket) pair, "
    f"`gender index x {len(AGE_BUCKETS) + 1} + age_bucket index`, so it can learn that young women "
    "and young men differ in ways neither feature says alone."
)
st.dataframe(
    data_views.user_encoding_rows(vocab, data_views.sample(data.users, n_rows, int(seed))),
    hide_index=True,
    key="data_user_rows",
)

st.subheader("Title tokens")
st.write(
    "Titles are lower-cased and split into words, the release year dropped. Tokens seen in at "
    f"least two titles get an id; rarer ones map to 0 and are dropped; the first {MAX_TITLE_TOKENS} "
    "ids feed the candidate tower (0-padded), which averages their embeddings."
)
st.dataframe(
    data_views.title_token_rows(vocab, data_views.sample(data.movies, n_rows, int(seed))),
    hide_index=True,
    key="data_title_rows",
)
