"""Saved runs side by side: their settings (differences marked), metrics, curves and histories.

A run is a registry entry's metadata (`meta.json`): kind, config, split, seed, metrics and the
per-epoch history. Everything here is plain data in, plain data out.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pandas as pd

from recexplore.app.metric_names import show
from recexplore.config.metrics import EASE, POPULARITY

SETTING_ROWS = ("kind", "split", "seed", "params", "train_seconds", "device")
DIFFERS = "differs"


def _setting_value(meta: Mapping[str, Any], key: str) -> Any:
    if key == "split":
        return meta.get("split", {}).get("name")
    return meta.get(key)


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "(none)"
    return show(value)


def settings_table(runs: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per setting (run facts, then every config key of any run), one column per run,
    and a boolean `differs` column: True where the runs do not all agree ('—' where a run of
    another kind has no such setting)."""
    config_keys = sorted({k for meta in runs.values() for k in meta.get("config", {})})
    rows = []
    for key in (*SETTING_ROWS, *config_keys):
        source = (
            (lambda m, k=key: _setting_value(m, k))
            if key in SETTING_ROWS
            else (lambda m, k=key: m.get("config", {}).get(k))
        )
        cells = {name: _cell(source(meta)) for name, meta in runs.items()}
        rows.append({"setting": key, **cells, DIFFERS: len(set(cells.values())) > 1})
    return pd.DataFrame(rows)


def metrics_table(metrics: Mapping[str, Mapping[str, Any]], label_of: Any = str) -> pd.DataFrame:
    """One row per metric key any run has (plain names via `label_of`), one column per run."""
    keys: list[str] = []
    for found in metrics.values():
        keys += [k for k in found if k not in keys]
    return pd.DataFrame(
        [{"metric": label_of(k), **{name: show(found.get(k)) for name, found in metrics.items()}} for k in keys]
    )


def curve_keys(runs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """History keys any run recorded (except 'epoch'), in first-seen order."""
    keys: list[str] = []
    for meta in runs.values():
        for row in meta.get("history", []):
            keys += [k for k in row if k != "epoch" and k not in keys]
    return keys


def histories(runs: Mapping[str, Mapping[str, Any]], key: str) -> dict[str, list[dict[str, float]]]:
    """Each run's per-epoch history, for the runs that recorded `key`."""
    return {
        name: list(meta.get("history", []))
        for name, meta in runs.items()
        if any(key in row for row in meta.get("history", []))
    }


def hit_rate_baselines(key: str, tower_metrics: list[Mapping[str, Any]]) -> dict[str, float]:
    """Popularity and EASE at the hit-rate `key`, from the first tower run that has each."""
    lines = {}
    for prefix, name in ((POPULARITY, "popularity"), (EASE, "EASE")):
        value = next((m[prefix + key] for m in tower_metrics if prefix + key in m), None)
        if value is not None:
            lines[name] = value
    return lines


def histories_csv(runs: Mapping[str, Mapping[str, Any]]) -> str:
    """Every run's history in long form: run, kind, epoch, metric, value (one row per value)."""
    rows = [
        {"run": name, "kind": meta.get("kind"), "epoch": int(row.get("epoch", i + 1)), "metric": k, "value": v}
        for name, meta in runs.items()
        for i, row in enumerate(meta.get("history", []))
        for k, v in row.items()
        if k != "epoch"
    ]
    out = io.StringIO()
    pd.DataFrame(rows, columns=["run", "kind", "epoch", "metric", "value"]).to_csv(out, index=False)
    return out.getvalue()


def split_key(meta: Mapping[str, Any]) -> tuple[str, int, str]:
    """(split name, seed, data fingerprint) of a saved run: what its test part and baselines depend on."""
    return (
        str(meta.get("split", {}).get("name", "random")),
        int(meta.get("seed", 42)),
        str(meta.get("data_fingerprint")),
    )


def shared_split(runs: Mapping[str, Mapping[str, Any]]) -> tuple[str, int, str] | None:
    """The `split_key` every run shares, or None when they differ."""
    splits = {split_key(m) for m in runs.values()}
    return splits.pop() if len(splits) == 1 else None
