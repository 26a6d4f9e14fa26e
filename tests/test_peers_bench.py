"""bench/peers.py at its smoke size: every row is measured or skipped with a one-line reason."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_peers_bench_runs_its_smoke_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location("peers_bench", ROOT / "bench" / "peers.py")
    peers = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(peers)  # type: ignore[union-attr]
    out = tmp_path / "peers.json"
    monkeypatch.setattr(sys, "argv", ["peers.py", "--smoke", "--folds", "2", "--json", str(out)])
    peers.main()
    result = json.loads(out.read_text())
    rows = result["rows"]
    assert result["folds"] == ["u1", "u2"]
    assert set(rows) == {*peers.RATING_PEERS, *peers.RETRIEVAL_PEERS, *peers.OURS}
    for name, row in rows.items():
        if "skipped" in row:  # only the optional packages may be missing
            assert "not installed" in row["skipped"] and "\n" not in row["skipped"], name
            continue
        assert len(row["folds"]) == 2, name
        for fold in row["folds"]:
            for metric, value in fold.items():
                if metric == "rmse":
                    assert 0.0 < value < 4.0, (name, value)
                elif metric.startswith("hit@"):
                    assert 0.0 <= value <= 1.0, (name, value)
    for always in ("global mean", "popularity", "EASE (lambda by validation)", "RecExplore DLRM (default preset)"):
        assert "folds" in rows[always], always
    printed = capsys.readouterr().out
    assert (
        "| ratings | RecExplore DLRM (default preset) | rmse |" in printed
        and "python bench/peers.py --smoke" in printed
    )
