"""The one metric table: every key a result carries is declared there, once, and the docs show it as it is."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from recexplore.config.metrics import METRICS, PEERS, explain, label, metric, table_markdown
from recexplore.evaluation.ease_report import REPORT_KEYS
from recexplore.families import TASKS

ROOT = Path(__file__).resolve().parent.parent
SAVED = sorted((ROOT / "cached_models").glob("*/meta.json"))


def test_the_docs_show_the_table_as_the_code_declares_it() -> None:
    text = (ROOT / "docs" / "evaluation.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- metric table: begin -->\n(.*)<!-- metric table: end -->", text, re.S)
    assert shown is not None and shown.group(1) == table_markdown()
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^## (.+)$", text, re.M)}
    assert {m.doc.partition("#")[2] for m in METRICS.values()} - {""} <= anchors


def test_every_task_speaks_in_declared_metrics() -> None:
    for task in TASKS.values():
        keys = {*task.result_keys, *task.table_keys, *task.curves, *task.loss_curves, task.headline, task.sweep_metric}
        assert [k for k in keys if metric(k) is None] == [], task.name
        assert METRICS[task.headline].higher_is_better is task.higher_is_better


@pytest.mark.parametrize("meta", SAVED, ids=[p.parent.name for p in SAVED])
def test_every_saved_metric_and_curve_is_declared(meta: Path) -> None:
    """The pretrained entries carry what every family's training produces (metrics, peers, curves)."""
    saved = json.loads(meta.read_text(encoding="utf-8"))
    keys = set(saved["metrics"]) | {k for row in saved.get("history", []) for k in row} - {"epoch"}
    assert [k for k in sorted(keys) if metric(k) is None] == []
    for key, value in saved["metrics"].items():
        found = metric(key)
        assert found.low is None or value >= found.low, key
        assert found.high is None or value <= found.high, key


def test_the_ease_report_is_declared() -> None:
    assert [k for k in REPORT_KEYS if metric(k) is None] == []


def test_a_peer_prefix_reads_as_the_peer() -> None:
    assert label("popularity_hit_rate_at_10") == "Popularity: Hit-rate@10"
    assert label("transition_next_hit_rate_at_10") == "Transitions: Next-movie hit rate@10"
    assert explain("ease_ndcg_at_10").startswith(PEERS["ease_"][1])
    assert label("popularity_percentile_at_10") == "Popularity percentile@10"  # the model's own, not a peer's
    assert metric("popularity_popularity_percentile_at_10").label == "Popularity: Popularity percentile@10"
    assert metric("no_such_metric") is None and label("no_such_metric") == "no_such_metric"
    assert explain("ease_no_such_metric") == ""
