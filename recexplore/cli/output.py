"""What the CLI prints and how it fails: its errors, exit codes, JSON or text output, the towers' tables."""

from __future__ import annotations

import json
from typing import Any

EXIT_USAGE = 2
EXIT_FAILURE = 1


class UsageError(Exception):
    """Bad command-line arguments (exit code 2)."""


class EngineJobError(Exception):
    """A job on the training engine failed or was stopped (exit code 1)."""


def emit(payload: dict[str, Any], as_json: bool, lines: list[str]) -> None:
    if as_json:
        print(json.dumps(payload, sort_keys=True, default=json_default))
    else:
        print("\n".join(lines))


def json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def tower_lines(rows: list[dict[str, Any]], popularity: dict[str, float], ease: dict[str, float]) -> list[str]:
    """compare-towers' table on one split: the presets, popularity and EASE."""
    header = (
        f"{'preset':<8} {'params':>8} {'secs':>6} {'HR@10':>6} {'HR@100':>7} {'NDCG@10':>8} {'cover':>6} {'pop%':>5}"
    )

    def line(name: str, params: str, secs: str, m: dict[str, float], prefix: str) -> str:
        return (
            f"{name:<8} {params:>8} {secs:>6} {m[prefix + 'hit_rate_at_10']:>6.3f} {m[prefix + 'hit_rate_at_100']:>7.3f} "
            f"{m[prefix + 'ndcg_at_10']:>8.3f} {m[prefix + 'catalog_coverage_at_10']:>6.3f} "
            f"{m[prefix + 'popularity_percentile_at_10']:>5.1f}"
        )

    lines = [header] + [line(r["preset"], str(r["params"]), f"{r['train_seconds']:.1f}", r, "") for r in rows]
    lines.append(line("popular", "0", "", popularity, "popularity_"))
    lines.append(
        line("EASE", "", "", ease, "ease_") + f"  (linear, lambda {ease['ease_lambda']:g} chosen on validation)"
    )
    return lines


def tower_fold_lines(comparison: dict[str, Any]) -> list[str]:
    """compare-towers' table over folds: mean and spread of the headline numbers."""
    lines = [f"{'model':<10} {'HR@10 mean':>10} {'std':>6} {'HR@100':>7} {'NDCG@10':>8} {'cover':>6} {'pop%':>5}"]
    named = [(r["model"], r) for r in comparison["rows"]]
    named += [("popular", comparison["popularity"]), ("EASE", comparison["ease"])]
    for name, r in named:
        lines.append(
            f"{name:<10} {r['mean_hit_rate_at_10']:>10.4f} {r['std_hit_rate_at_10']:>6.4f} {r['mean_hit_rate_at_100']:>7.4f} "
            f"{r['mean_ndcg_at_10']:>8.4f} {r['mean_catalog_coverage_at_10']:>6.3f} "
            f"{r['mean_popularity_percentile_at_10']:>5.1f}"
        )
    return lines
