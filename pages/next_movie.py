"""Next movie: what will this user watch next? A sequential model's list, the user's timeline, the
attention over their history, how much order matters, and the peers that often win."""

from __future__ import annotations

import streamlit as st

from recexplore.app import links, loaded_data, messages, model_cache, model_choice, next_figures, prepare_panel
from recexplore.app.course_views import lesson_question
from recexplore.app.metric_names import show
from recexplore.config.metrics import label
from recexplore.data.splits import MIN_RATINGS
from recexplore.evaluation.next_item import CUTOFFS, LIST_NAMES, NDCG_K, PEERS, peer_verdict
from recexplore.families import NEXT_MOVIE
from recexplore.serving.recommend import RecommendError

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

KEYS = [*(f"next_hit_rate_at_{k}" for k in CUTOFFS), f"next_ndcg_at_{NDCG_K}"]

st.title("Next movie")
lesson_question("pages/next_movie.py")
st.write(
    "The two towers treat a history as a bag; order is thrown away. A next-movie model reads the "
    "latest movies in the order they were watched (a GRU, or causal self-attention as in SASRec) and "
    "scores every movie as the next one. Measured honestly: each user's last rating is held out (ties "
    "in time broken by the lower movie id), the model never sees it or anything after it, every movie "
    "is ranked (not 100 sampled ones), and the movies already watched are left out."
)

loaded_data.data_or_stop()
names = prepare_panel.model_names_or_offer(NEXT_MOVIE)
model_choice.note_gone("next_model", names)
left, right = st.columns([2, 1])
name = model_choice.choose_model(left, "Next-movie model", names, NEXT_MOVIE, key="next_model")
if name is None:
    messages.stop_with("Pick a next-movie model.")
ready = model_cache.model_or_stop(name)
try:
    rec = model_cache.next_recommender(name)
except Exception as err:  # RegistryError / DataError: one line
    messages.stop_with(str(err), "error")

metrics = ready.meta.get("metrics", {})
rows = [
    {"list": shown, **{label(key): show(metrics.get(prefix + key)) for key in KEYS}}
    for prefix, shown in LIST_NAMES.items()
    if prefix + KEYS[0] in metrics
]
st.dataframe(rows, hide_index=True, key="next_peers", width="stretch")
verdict = peer_verdict(metrics)
if verdict:
    st.info(verdict, icon=":material/flag:")
st.caption(
    f"Peers on the same targets: {', '.join(LIST_NAMES[p] for p in PEERS)}. Transitions: the movies most often "
    "watched right after the user's last one, over every training history. EASE is fitted on the history."
)

users, first = rec.user_choices()
user_id = right.selectbox(
    "User id (type to search)", users, index=links.linked_index("user", users, first), key="next_user"
)
links.link_choice("user", user_id)
k = right.slider("How many movies", 1, 50, 10, key="next_k")
try:
    timeline = rec.timeline(user_id)
    recs = rec.recommend(user_id, k)
    ablation = rec.order_ablation(user_id)
except RecommendError as err:
    messages.stop_with(str(err))

st.subheader(f"User {user_id}'s timeline")
st.plotly_chart(next_figures.timeline_figure(timeline), key="next_timeline")
nxt = timeline[timeline["part"] != "history"].iloc[0]
st.caption(
    f"{len(timeline) - 1} movies watched before; the held-out next one: {nxt['movie_title']} ({nxt['stars']} stars)."
)

st.subheader(f"Top {len(recs)} next movies for user {user_id}")
st.dataframe(recs, hide_index=True, key="next_table", width="stretch")
found = (recs["next"] != "").any()
st.info(
    f"The held-out next movie is {'in' if found else 'not in'} this list; it ranks {ablation['rank']:.0f} of "
    f"{ablation['unwatched']} unwatched movies.",
    icon=":material/target:",
)

attention = rec.attention(user_id)
if attention is not None:
    st.subheader("What the model looked at")
    st.write(
        "The latest position's attention over the last movies in the final self-attention block: the "
        "history this top list was scored from (averaged over heads)."
    )
    st.plotly_chart(next_figures.attention_figure(attention), key="next_attention")

st.subheader("Does the order matter?")
average = rec.average_order_effect()
st.write(
    f"Shuffle this user's history and score again: the held-out next movie moves from rank "
    f"{ablation['rank']:.0f} to {ablation['shuffled_rank']:.0f} (median of 5 seeded shuffles). Over every user, "
    f"next-movie hit rate@10 is {average['watched']:.3f} from the histories as watched and "
    f"{average['shuffled']:.3f} from shuffled ones."
)
st.caption(
    f"Users with fewer than {MIN_RATINGS} ratings have no held-out next movie: there is nothing to check. "
    "Train a GRU or SASRec model on the Train page (family 'Next movie'), or `python -m recexplore train sequential`."
)
