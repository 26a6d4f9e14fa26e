"""Smoke test of bench/load_test.py: three concurrent browser sessions on synthetic data are all served."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from tests.browser_app import ROOT, require_browser

pytestmark = pytest.mark.browser


def test_three_sessions_are_all_served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_browser("load test")
    spec = importlib.util.spec_from_file_location("load_test", ROOT / "bench" / "load_test.py")
    assert spec is not None and spec.loader is not None
    load_test = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, load_test)  # dataclasses look their module up there
    spec.loader.exec_module(load_test)

    out = tmp_path / "load.json"
    argv = ["--sessions", "3", "--requests", "1", "--timeout", "45", "--max-seconds", "120", "--json", str(out)]
    assert load_test.main(argv) == 0
    fig = json.loads(out.read_text())
    assert fig["data"] == "synthetic data"  # conftest unsets RECEXPLORE_DATA_DIR
    assert fig["sessions_started"] == fig["sessions_served"] == 3
    assert fig["home_served"] == fig["recommend_served"] == 3
    assert fig["requests_served"] == fig["requests_total"] == 3
    for key in ("home_s", "first_recommend_s", "another_user_s"):
        assert fig[key]["n"] == 3
        assert all(isinstance(fig[key][q], float) and fig[key][q] > 0 for q in ("p50", "p95", "max"))
    assert fig["short_answers"] == [] and fig["errors"] == [] and fig["server_tracebacks"] == 0
