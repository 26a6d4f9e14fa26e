"""Sampled metrics: every saved retrieval and next-movie model and their peers ranked against every
movie and against N sampled ones, the inflation, whether the order of the models changes, and what
a paper's sampled number reads as here."""

from __future__ import annotations

import streamlit as st

from recexplore.app import links, loaded_data, messages, prepare_panel, sampled_figures, sampled_panel
from recexplore.app.course_views import lesson_question
from recexplore.config.metrics import label
from recexplore.evaluation.sampled import KINDS, SAMPLED_N, Sampling
from recexplore.evaluation.sampled_comparison import compare, order_sentence, paper_sentence, task_groups
from recexplore.families import NEXT_MOVIE, RECOMMEND

links.through_the_entrypoint()  # a shared link on a fresh server: show it inside the app

st.title("Sampled metrics")
lesson_question("pages/sampled_metrics.py")
st.write(
    "Every hit rate elsewhere in this app ranks the held-out movie against every movie in the catalogue. "
    "Many papers rank it against only 100 movies the user never rated, drawn at random, and report that "
    "hit rate: SASRec's 0.82 on MovieLens 1M is one. Here every saved model and its peers are measured both "
    "ways on the split they were trained on, the same sampled movies for all of them (seeded)."
)
with st.expander("How the sampled number is computed"):
    st.markdown(
        "For each test case, N movies the user never rated (in training or test) are drawn, uniformly or "
        "in proportion to how often they were rated in training. The held-out movie's rank is the number "
        "of sampled movies scoring higher, plus half of those scoring the same; a hit when it is below 10, "
        "NDCG@10 = 1 / log2(rank + 2) then. Against 100 mostly obscure movies, a movie ranked 150th of "
        "1,682 is often in the top 10 (Krichene and Rendle, KDD 2020)."
    )

loaded_data.data_or_stop()
left, right = st.columns(2)
n = left.number_input("Sampled movies per test case (N)", value=SAMPLED_N, step=10, key="sampled_n")
kind = right.selectbox("Sampling", list(KINDS), key="sampled_kind", help="uniform, or in proportion to popularity")
try:
    sampling = Sampling(int(n) if float(n).is_integer() else n, kind)
except ValueError as err:
    messages.stop_with(str(err), "error")

names = prepare_panel.model_names_or_offer(RECOMMEND, NEXT_MOVIE)
measured = sampled_panel.measure(names, sampling)
if not measured:
    messages.stop_with("No retrieval or next-movie model could be measured: train one on the Train page.")

sampled_title = f"sampled (N={sampling.n}, {sampling.kind})"
for key, rows in task_groups(measured, sampling).items():
    st.subheader(f"Ranked by {label(key)}")
    st.plotly_chart(sampled_figures.slope_chart(rows, sampled_title), key=f"sampled_slope_{key}")
    st.dataframe(sampled_panel.table_rows(rows), hide_index=True, key=f"sampled_table_{key}", width="stretch")
    found = compare(rows)
    st.info(order_sentence(found), icon=":material/swap_vert:")
    st.markdown(f"**Full ranking:** {' > '.join(found.full_order)}  \n**Sampled:** {' > '.join(found.sampled_order)}")
    st.success(paper_sentence(rows), icon=":material/menu_book:")
st.caption(
    "Peers (popularity, EASE, transitions) are measured on each model's split; models sharing a split share "
    "them. A line crossing another in the chart is a pair the sampled metric orders the other way."
)
