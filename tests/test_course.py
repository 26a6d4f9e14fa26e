"""The course (recexplore/app/course.py): its data holds together, the menu is built from it, Home's
course map shows a card per lesson and each lesson page opens with its lesson's question."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recexplore.app import course

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
LESSON_PAGES = [file for lesson in course.LESSONS for file in lesson.pages]


def _question_calls(file: str) -> list[str]:
    """The arguments of the `lesson_question(...)` calls in page `file`."""
    tree = ast.parse((ROOT / file).read_text(encoding="utf-8"))
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", "")) == "lesson_question"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]


def test_every_page_file_is_in_the_course_once() -> None:
    files = [p.file for p in course.PAGES]
    assert sorted(files) == sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
    assert len(set(files)) == len(files) and len({p.title for p in course.PAGES}) == len(files)
    assert len({p.address for p in course.PAGES}) == len(files)  # URL paths are unique


def test_each_page_sits_in_exactly_one_menu_section() -> None:
    listed = [file for files in course.SECTIONS.values() for file in files]
    assert sorted(listed) == sorted(p.file for p in course.PAGES)  # every page once, none twice
    assert all(course.SECTIONS.values())  # no empty section
    assert list(course.SECTIONS)[0] == course.START and course.SECTIONS[course.START][0] == course.HOME
    assert list(course.SECTIONS)[-2:] == [course.WORKBENCH, course.CLASS]
    assert [s for s in course.SECTIONS if s.startswith("Lesson")] == [lesson.section for lesson in course.LESSONS]


def test_the_lessons_hold_together() -> None:
    assert [lesson.number for lesson in course.LESSONS] == list(range(1, len(course.LESSONS) + 1))
    for lesson in course.LESSONS:
        assert lesson.title and lesson.shows and lesson.pages
        assert course.SECTIONS[lesson.section] == lesson.pages
        for file in [*lesson.pages, *(f for f, _ in lesson.also)]:
            assert (ROOT / file).is_file() and course.page(file).file == file
        for file, note in lesson.also:  # another lesson's page, with what to look at there
            assert note and file not in lesson.pages and course.lesson_of(file) not in (None, lesson)
        # the question in one sentence
        question = lesson.question
        assert question.endswith("?") and question[0].isupper(), question
        assert not any(mark in question[:-1] for mark in ".?!"), question
    assert course.lesson_of("pages/train.py") is None and course.lesson_of(course.HOME) is None


def test_every_lesson_page_opens_with_its_own_question() -> None:
    for page in course.PAGES:
        expected = [page.file] if page.file in LESSON_PAGES else []
        assert _question_calls(page.file) == expected, page.file


def test_home_shows_the_course_map(data_env: None) -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert any(s.value.startswith("Where to start") for s in at.subheader)
    texts = [m.value for m in at.markdown]
    for lesson in course.LESSONS:
        assert f"**Lesson {lesson.number} · {lesson.title}**" in texts
        assert f"*{lesson.question}*" in texts
        assert lesson.shows in [c.value for c in at.caption]
    links = [e.proto for e in at.get("page_link")]
    # each card links its lesson's pages by their menu titles (resolved by the navigation: the URL path)
    firsts = [course.page(lesson.pages[0]) for lesson in course.LESSONS]
    by_label = {link.label: link.page for link in links}
    for first in firsts:
        assert by_label[first.title] == first.address
    captions = [c.value for c in at.caption]
    assert "Also, from Lesson 1: a DCN's cross matrix beside a DLRM's heatmap." in captions
    assert [link.label for link in links].count("Compare rankers") == 3  # its lesson's card, and two more


@pytest.mark.parametrize("file", LESSON_PAGES)
def test_a_lesson_page_shows_its_question_under_its_title(file: str) -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()  # no data: each page stops after its opening
    at.switch_page(file).run()
    assert not at.exception
    lesson = course.lesson_of(file)
    assert lesson is not None
    assert at.title[0].value == course.page(file).title
    assert any(lesson.question in m.value and f"Lesson {lesson.number}" in m.value for m in at.markdown)
