"""Beyond accuracy: every saved retrieval model and the two baselines on ranking quality,
popularity bias, coverage and diversity; the long tail; results by user group."""

from __future__ import annotations

import streamlit as st

from recexplore.app import beyond_figures, links, loaded_data, messages, model_cache, model_choice, prepare_panel
from recexplore.app.course_views import lesson_question
from recexplore.app.metric_names import show
from recexplore.config.metrics import explain, label
from recexplore.evaluation.beyond import bias_sentence, gain_sentence, scatter_points
from recexplore.evaluation.list_metrics import LIST_METRICS, K
from recexplore.families import RECOMMEND

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

KEYS = [f"{m}_at_{K}" for m in LIST_METRICS]

st.title("Beyond accuracy")
lesson_question("pages/beyond.py")
st.write(
    "A hit rate says how often the held-out movie is in the list. It does not say where in the list, "
    "whether everyone gets the same blockbusters, or for whom the model works. Here every saved "
    "retrieval model and the two baselines (popularity: the most-rated movies for everyone; EASE: "
    "a linear item-to-item model) are measured on the same top-10 lists as the hit rate, each on "
    "its own split, movies the user rated for training excluded."
)
with st.expander("What each number means"):
    st.dataframe(
        [{"metric": label(k), "what it means": explain(k)} for k in KEYS],
        hide_index=True,
        key="beyond_definitions",
        width="stretch",
    )

loaded_data.data_or_stop()
names = prepare_panel.model_names_or_offer(RECOMMEND)
views = {}
for name in names:
    try:
        views[name] = model_cache.beyond(name)
    except Exception as err:  # RegistryError / DataError: that model is left out, with one line
        messages.say(f"{name} is left out: {err}", "warning")
if not views:
    messages.stop_with("No retrieval model could be measured: train one on the Train page.")

preferred = model_choice.preferred_entry(RECOMMEND)
points = scatter_points(views, preferred if preferred in views else next(iter(views)))

st.subheader("Accuracy against popularity bias")
st.plotly_chart(beyond_figures.accuracy_bias_scatter(points), key="beyond_scatter")
st.info(bias_sentence(points), icon=":material/balance:")
st.dataframe(
    [{"model": p["name"], **{label(k): show(p[k]) for k in KEYS}} for p in points],
    hide_index=True,
    key="beyond_table",
    width="stretch",
)
st.caption("Marker area: catalogue coverage@10. The baselines are measured on the pretrained models' split.")

st.subheader("One model up close")
chosen = model_choice.choose_model(st, "Model", list(views), RECOMMEND, key="beyond_model")
if chosen not in views:
    messages.stop_with("Pick a retrieval model to see its long tail and its results by group.")
view = views[chosen]
st.markdown(f"**The long tail.** How often each movie is in a top 10, by how often it was rated ({chosen}).")
st.plotly_chart(
    beyond_figures.long_tail_figure(
        {chosen: view["long_tail"]["model"], **{k: v for k, v in view["long_tail"].items() if k != "model"}},
        view["users"],
    ),
    key="beyond_long_tail",
)
st.markdown(
    "**By user group.** Hit rate@10 for each group of users, and for held-out movies from the head and the tail."
)
st.plotly_chart(beyond_figures.slices_figure(view["slices"], chosen), key="beyond_slices")
st.info(gain_sentence(view["slices"], chosen), icon=":material/groups:")
st.dataframe(
    [{k: show(v) if not isinstance(v, str) else v for k, v in row.items()} for row in view["slices"]],
    hide_index=True,
    key="beyond_slices_table",
    width="stretch",
)
st.caption(
    "Activity: the user's ratings in the training part. Head: the 20% most-rated movies; a head or tail row "
    "counts only the held-out ratings of those movies."
)
