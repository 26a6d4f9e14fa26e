"""Recommend: top-N retrieval for a user, optional DLRM re-ranking, explanations, new-user mode."""

from __future__ import annotations

import streamlit as st

from recexplore.app import index_panel, links, loaded_data, messages, model_cache, model_choice, prepare_panel
from recexplore.app.course_views import lesson_question
from recexplore.families import RECOMMEND, RERANK
from recexplore.serving.recommend import (
    RecommendError,
    because_you_rated,
    compare_lists,
    held_out_marks,
    predict_stars,
    profile_text,
    rerank_by_stars,
    serve_new_user,
    user_profile,
)

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

MAX_NEW_MOVIES = 20
RECOMMEND_COLUMNS = {
    "rank": st.column_config.NumberColumn("#", width="small"),
    "movie_title": st.column_config.TextColumn("Movie", width="medium"),
    "predicted stars": st.column_config.NumberColumn(
        "Predicted ★",
        format="%.2f",
        width=100,
        help="The rating model's predicted stars for this user: the re-ranked list is sorted by them.",
    ),
    "score": st.column_config.NumberColumn(
        "Retrieval score",
        format="%.3f",
        width=110,
        help="Dot product of the user's and the movie's vectors: what BruteForceRetrieval ranks by.",
    ),
    "movie_genres": st.column_config.TextColumn("Genres"),
    "because you rated": st.column_config.TextColumn(
        "Because you rated", help="The user's well-rated movie closest to this one (cosine of movie vectors)."
    ),
    "held out": st.column_config.TextColumn(
        "Held-out rating",
        width=110,
        help="The stars this user gave the movie in the split's test part, which the model never saw: a hit.",
    ),
    "movie_id": st.column_config.NumberColumn("Movie id", width="small"),
}

st.title("Recommend")
lesson_question("pages/recommend.py")
st.write(
    "A two-tower model embeds the user (query tower) and every movie (candidate tower); "
    "`BruteForceRetrieval` returns the movies with the highest dot product. Optionally a rating model (DLRM, DCN) re-ranks the retrieved candidates "
    "by predicted stars: the two-stage pipeline of production recommenders."
)

data = loaded_data.data_or_stop()
towers = prepare_panel.model_names_or_offer(RECOMMEND)
dlrms = [e.name for e in model_choice.list_models(RERANK)]

model_choice.note_gone("recommend_model", towers)
model_choice.note_gone("recommend_rerank", ["(no re-ranking)", *dlrms])
left, right = st.columns([1, 1])
model_name = model_choice.choose_model(left, "Retrieval model", towers, RECOMMEND, key="recommend_model")
k = left.slider("How many movies", min_value=1, max_value=50, value=10, key="recommend_k")
mode = right.radio("Who", ["A MovieLens user", "A new user"], horizontal=True, key="recommend_mode")
rerank = right.selectbox("Re-rank with a rating model", ["(no re-ranking)", *dlrms], key="recommend_rerank")

try:
    rec = model_cache.recommender(model_name)
except Exception as err:  # RegistryError / DataError: one line and a way forward
    messages.stop_with(f"{err}", "error")
index = index_panel.index_choice(right, rec.n_candidates, "recommend")

if mode == "A MovieLens user":
    user_ids = sorted(int(u) for u in data.users["user_id"])
    user_id = st.selectbox(
        "User id (type to search)", user_ids, index=links.linked_index("user", user_ids, 0), key="recommend_user"
    )
    links.link_choice("user", user_id)
    if user_id is None:  # only code can clear the box (session state); say what to do
        messages.stop_with("Pick a user id to see their recommendations.")
    try:
        profile, rated = user_profile(data, user_id)
        served = rec.serve(user_id, k, index)
    except RecommendError as err:
        messages.stop_with(str(err), "error")
    recs = served.frame
    st.caption(profile_text(profile, len(rated)))
    recs["because you rated"] = because_you_rated(rec, user_id, list(recs["movie_id"]), rated=rated)
    held_out = rec.held_out_of(user_id)  # movie id -> stars in the split's test part
    recs["held out"], hits = held_out_marks(held_out, list(recs["movie_id"]))
    n_held = len(held_out)
    timestamp = int(rated["timestamp"].max()) if len(rated) else 0
else:
    st.write("Rate a handful of movies (1-5 stars); recommendations update at once.")
    st.caption(
        "How it works: the model fits a query vector for you in its own query space. It starts where "
        "MovieLens users lie on average and takes a few steps of the model's own softmax objective: "
        "movies you gave 3-5 stars pull the vector towards what is watched with them, and 1-2 stars push "
        "that movie below an average one, and with it its neighbours. Movies you rated are not recommended."
    )
    titles = dict(zip(data.movies["movie_title"], data.movies["movie_id"], strict=True))
    earlier = st.session_state.get("recommend_new_movies")
    if isinstance(earlier, list) and len(earlier) > MAX_NEW_MOVIES:  # only set from code: the widget stops at 20
        st.session_state["recommend_new_movies"] = earlier[:MAX_NEW_MOVIES]
        st.warning(f"At most {MAX_NEW_MOVIES} movies: kept the first {MAX_NEW_MOVIES} of the {len(earlier)} picked.")
    picked = st.multiselect(
        "Movies you have seen", sorted(titles), key="recommend_new_movies", max_selections=MAX_NEW_MOVIES
    )
    ratings = {titles[t]: st.slider(t, 1, 5, 4, key=f"recommend_new_{titles[t]}") for t in picked}
    if not ratings:
        messages.stop_with("Pick at least one movie you have seen to get recommendations.")
    try:
        served = serve_new_user(rec, ratings, k, index)
    except RecommendError as err:
        messages.stop_with(str(err), "error")
    recs = served.frame
    user_id, timestamp, rated = None, 0, None

if rerank != "(no re-ranking)" and user_id is not None:
    dlrm = model_cache.model_or_stop(rerank)
    stars = predict_stars(dlrm.model, dlrm.space, user_id, list(recs["movie_id"]), timestamp)
    recs = rerank_by_stars(recs, stars)
elif rerank != "(no re-ranking)":
    st.caption("DLRM re-ranking needs a MovieLens user (its embeddings know only those users).")

st.subheader(f"Top {len(recs)} for " + (f"user {user_id}" if user_id is not None else "you"))
# Rank, title, the held-out mark and the numbers that set the order first: visible on a 1280x720 projector.
first = ["rank", "movie_title", *(c for c in ("held out", "predicted stars", "score") if c in recs.columns)]
recs = recs[first + [c for c in recs.columns if c not in first]]
st.dataframe(recs, hide_index=True, key="recommend_table", width="stretch", column_config=RECOMMEND_COLUMNS)
st.caption(index_panel.served_line(served.index, served.recall_vs_exact, k))
if user_id is not None:
    average = rec.average_hit_rate(k)
    st.info(
        f"**User {user_id}'s hit-rate@{k}: {hits} of their {n_held} held-out ratings are in this list"
        + (f" ({hits / n_held:.2f})" if n_held else "")
        + f".** The model's average over every held-out rating: {average:.2f}. "
        "The movies this user rated in the training part are left out, because the model learned from "
        "them: only movies it never saw them rate can show that it predicts taste.",
        icon=":material/target:",
    )

if rated is not None:
    with st.expander(f"What user {user_id} rated ({len(rated)} movies)"):
        part = ["held out" if m in held_out else "training" for m in rated["movie_id"]]
        shown = rated.assign(stars=["★" * int(s) for s in rated["user_rating"]], part=part)
        st.dataframe(shown[["movie_title", "stars", "part", "movie_genres"]], hide_index=True, key="recommend_rated")

if user_id is not None:
    st.subheader("Two lists side by side")
    st.write(
        "The same user's top list from another model, or from a baseline on this model's split: how many "
        "movies they share, whether they agree at the top, and which leans more on popular movies."
    )
    others = [model_cache.POPULARITY_LIST, model_cache.EASE_LIST] + [n for n in towers if n != model_name]
    if st.session_state.get("recommend_other") not in others:  # it became the model on the left, or went away
        st.session_state.pop("recommend_other", None)
    other = st.selectbox("Beside it", others, key="recommend_other")
    try:
        mine = rec.recommend(user_id, k)  # the retrieval list itself, before any re-ranking
        theirs = model_cache.second_list(model_name, other, user_id, k)
    except Exception as err:  # RegistryError / RecommendError: one line
        messages.stop_with(str(err), "error")
    overlap = compare_lists(rec, mine, theirs)
    cols = st.columns(4)
    cols[0].metric("Shared movies (Jaccard)", f"{overlap['jaccard']:.2f}")
    cols[1].metric(
        "Rank-biased overlap", f"{overlap['rbo']:.2f}", help="1: the same order; agreement at the top weighs most"
    )
    cols[2].metric(f"Popularity percentile: {model_name}", f"{overlap['first_popularity_percentile']:.1f}")
    cols[3].metric(f"Popularity percentile: {other.split(' (')[0]}", f"{overlap['second_popularity_percentile']:.1f}")
    left, right = st.columns(2)
    for column, title, frame, key in (
        (left, model_name, mine, "recommend_side_a"),
        (right, other, theirs, "recommend_side_b"),
    ):
        frame = frame.assign(**{"held out": held_out_marks(held_out, list(frame["movie_id"]))[0]})
        column.markdown(f"**{title}**")
        column.dataframe(
            frame[["rank", "movie_title", "held out"]], hide_index=True, key=key, column_config=RECOMMEND_COLUMNS
        )
