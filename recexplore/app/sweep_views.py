"""A sweep record as the Sweeps page reads it: its trials as a table, its swept settings and how each was
drawn, a one-line name, and the sentence on its best. Plain data in, plain data out (no Streamlit).

A record is `engine.sweeps.Sweep.as_dict()` (or a running sweep's live rows, which have the same shape).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from recexplore.app.metric_names import show
from recexplore.config.metrics import label

STOPPED_EARLY = "stopped early"  # a trial ASHA ended before its last epoch


def cell(value: Any) -> Any:
    """A setting's value in a table or on an axis: a layer list as '64,32', anything else as it is."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value) or "(none)"
    return value


def swept(record: Mapping[str, Any]) -> dict[str, str]:
    """The swept settings and how each was drawn ('log', 'uniform', 'int' or 'choice'), in the space's order."""
    return {name: str(spec).partition(":")[0] for name, spec in (record.get("space") or {}).items()}


def trial_status(row: Mapping[str, Any], max_epochs: int = 0) -> str:
    """'running', 'done', 'stopped early' (ASHA ended it before `max_epochs`) or 'failed'."""
    status = str(row.get("status", "?"))
    if status == "done" and max_epochs and int(row.get("epochs") or 0) < max_epochs:
        return STOPPED_EARLY
    return status


def trial_table(rows: Sequence[Mapping[str, Any]], metric: str, max_epochs: int = 0) -> list[dict[str, Any]]:
    """One row per trial: its number, status, epochs, last validation value, each setting, and the
    error of a failed one; the preset's own trial is marked."""
    table = []
    for i, row in enumerate(rows):
        settings = {name: cell(value) for name, value in (row.get("settings") or {}).items()}
        table.append(
            {
                "trial": f"{i + 1}{' (preset)' if row.get('preset') else ''}",
                "status": trial_status(row, max_epochs),
                "epochs": int(row.get("epochs") or 0),
                f"validation {label(metric)}": row.get("validation"),
                **settings,
                "error": row.get("error") or "",
            }
        )
    return table


def finished(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The trials that finished with a validation value."""
    return [dict(t) for t in record.get("trials", []) if t.get("validation") is not None]


def preset_trial(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The trial that ran the preset's own values, when the sweep had one."""
    return next((dict(t) for t in record.get("trials", []) if t.get("preset")), None)


def when(record: Mapping[str, Any]) -> str:
    """When the sweep was saved, from its file's name ('2025-05-01 14:03 UTC'), or ''."""
    stamp = Path(str(record.get("record", ""))).stem.rpartition("-")[2]
    try:
        return datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return ""


def record_label(record: Mapping[str, Any]) -> str:
    """A record in one line: family, preset, trials, its best validation value and when."""
    metric, best = str(record.get("metric")), record.get("best") or {}
    found = f"best {label(metric)} {show(best.get('validation'))}" if best else "no trial finished"
    parts = [f"{record.get('kind')} ({record.get('preset')})", f"{len(record.get('trials', []))} trials", found]
    return " · ".join(parts + ([when(record)] if when(record) else []))


def best_sentence(record: Mapping[str, Any]) -> str:
    """The best trial against the preset's own trial, in one sentence (validation split of the training part)."""
    metric, best = str(record.get("metric")), record.get("best")
    if not best:
        return "No trial of this sweep finished."
    settings = ", ".join(f"{k} {show(cell(v))}" for k, v in best["settings"].items())
    text = f"Best validation {label(metric)}: {show(best['validation'])} with {settings}."
    preset = preset_trial(record)
    if preset is not None and preset.get("validation") is not None:
        text += f" The preset's own settings reached {show(preset['validation'])}."
    return text
