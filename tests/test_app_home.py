"""The home page renders with and without data (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


def test_home_without_data_explains_what_to_do() -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "RecExplore"
    assert any("RECEXPLORE_DATA_DIR" in w.value for w in at.warning)


def test_home_with_data_shows_counts(ml_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Users"] == "60" and values["Movies"] == "80"
    assert any("pretrain" in i.value for i in at.info)
