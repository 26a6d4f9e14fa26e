"""The course on screen: Home's course map (a card per lesson) and the question a lesson page opens with.

What the course holds (its lessons, their questions and pages) lives in `recexplore.app.course`.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from recexplore.app import course

CARDS_PER_ROW = 3


def lesson_question(file: str) -> None:
    """Under a lesson page's title: which lesson it belongs to and the question it answers."""
    lesson = course.lesson_of(file)
    if lesson is None:
        raise ValueError(f"{file} is not a lesson page")
    st.markdown(f":gray[Lesson {lesson.number} · {lesson.title}]  \n**{lesson.question}**")


def _link(file: str) -> None:
    """A link to page `file`; its plain title when the page runs outside the app's menu (as a lone
    file under AppTest), where Streamlit knows no other page to link to."""
    target = course.page(file)
    try:
        st.page_link(file, label=target.title, icon=target.icon)
    except StreamlitPageNotFoundError:
        st.markdown(target.title)


def _card(where: Any, lesson: course.Lesson) -> None:
    with where.container(border=True, height="stretch", key=f"lesson_card_{lesson.number}"):
        st.markdown(f"**Lesson {lesson.number} · {lesson.title}**")
        st.markdown(f"*{lesson.question}*")
        st.caption(lesson.shows)
        for file in lesson.pages:
            _link(file)
        for file, note in lesson.also:  # a page of another lesson, and what to look at there
            other = course.lesson_of(file)
            st.caption(f"Also, from Lesson {other.number}: {note}." if other else f"Also: {note}.")
            _link(file)


def course_map() -> None:
    """Home's 'Where to start': the lessons in order, a card each, with the pages to open."""
    st.subheader("Where to start: the course")
    st.write(
        "Five lessons, each a question about recommenders answered on the pages it links. Open the "
        "first page of a card to start; the menu on the left groups the same pages by lesson. "
        "**Data** shows the ratings every lesson uses, **Train** and **Runs** train and compare your "
        "own models, and the **Teacher's view** shows the whole class's training at a glance."
    )
    for first in range(0, len(course.LESSONS), CARDS_PER_ROW):
        columns = st.columns(CARDS_PER_ROW)
        for column, lesson in zip(columns, course.LESSONS[first : first + CARDS_PER_ROW], strict=False):
            _card(column, lesson)
    st.caption(
        "Every number is measured on held-out ratings the model never saw; the popularity baseline "
        "(most-rated movies) is the bar to beat."
    )
