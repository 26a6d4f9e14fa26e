"""The Compare towers report: the latest 1/2/3-layer runs, their table, baseline rows and verdict sentence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from recexplore.app.metric_names import MISSING, show
from recexplore.config.metrics import POPULARITY, label
from recexplore.models.towers import TOWER_PRESETS, preset_settings

COMPARISON_METRICS = ("hit_rate_at_10", "hit_rate_at_100", "seed_top100_accuracy", "seed_top100_accuracy_all")


def comparison_configs(same_epochs: int | None = None) -> dict[str, Any]:
    """preset -> the TowerConfig Compare trains: each depth as tuned for it, or, with
    `same_epochs`, every depth with the same settings (only the layers differ)."""
    from recexplore.models.towers import TowerConfig

    if same_epochs is not None:
        return {p: TowerConfig(layers=layers, epochs=int(same_epochs)) for p, layers in TOWER_PRESETS.items()}
    return {p: TowerConfig(**preset_settings(p)) for p in TOWER_PRESETS}


def training_caption() -> str:
    """One sentence on how each depth trains by default."""
    parts = [
        f"{preset} at learning rate {config.learning_rate:g} for {config.epochs} epochs"
        for preset, config in comparison_configs().items()
    ]
    return (
        "Each depth trains as tuned for it on validation slices of the training part (never the "
        f"test rows): {'; '.join(parts)}. Deeper towers need a gentler learning rate and longer "
        "training; giving them the 1-layer's settings would compare tuning, not depth."
    )


def latest_comparison(jobs: Sequence[Any]) -> list[Any]:
    """The preset jobs of the newest 'Train all three' among `jobs` (a workspace's, newest first),
    in preset order; [] when there is none."""
    presets = [j for j in jobs if getattr(j.request, "preset", None)]
    if not presets:
        return []
    group = presets[0].group
    chosen = [j for j in presets if j.group == group]
    order = list(TOWER_PRESETS)
    return sorted(chosen, key=lambda j: order.index(j.request.preset) if j.request.preset in order else len(order))


@dataclass
class TowerRun:
    """One two-tower model's numbers for the comparison (from a registry entry or a finished job)."""

    label: str
    metrics: dict[str, float]
    history: list[dict[str, float]] = field(default_factory=list)
    params: int | None = None
    train_seconds: float | None = None
    layers: tuple[int, ...] = ()
    per_user: dict[str, list[float]] | None = None  # for the paired tests (beyond_accuracy.user_values)
    popularity_per_user: dict[str, list[float]] | None = None

    @classmethod
    def from_meta(cls, label: str, meta: Mapping[str, Any]) -> TowerRun:
        """From a registry entry's metadata."""
        config = meta.get("config", {}) or {}
        return cls(
            label,
            dict(meta.get("metrics", {}) or {}),
            [dict(h) for h in meta.get("history", []) or []],
            meta.get("params"),
            meta.get("train_seconds"),
            tuple(config.get("layers", ()) or ()),
        )

    @classmethod
    def from_result(cls, label: str, result: Any) -> TowerRun:
        """From a TrainResult."""
        layers = tuple(getattr(result.config, "layers", ()) or ())
        extras = getattr(result, "extras", {}) or {}
        return cls(
            label,
            dict(result.metrics),
            [dict(h) for h in result.history],
            result.params,
            result.train_seconds,
            layers,
            extras.get("per_user"),
            extras.get("popularity_per_user"),
        )


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def comparison_rows(runs: Sequence[TowerRun]) -> list[dict[str, str]]:
    """One table row per run: size, time, hit-rates, seed accuracies and the popularity values,
    under their plain names (`metric_names`), '—' where a value is missing."""
    rows = []
    for run in runs:
        m = run.metrics
        seconds = None if run.train_seconds is None else f"{float(run.train_seconds):.1f}"
        row = {
            "preset": run.label,
            "layers": ",".join(str(w) for w in run.layers) or MISSING,
            "parameters": show(run.params),
            "training time (s)": seconds or MISSING,
            "epochs": show(len(run.history) or _num(m.get("epochs_run"))),
        }
        row.update({label(k): show(_num(m.get(k))) for k in COMPARISON_METRICS})
        row.update({label(POPULARITY + k): show(_num(m.get(POPULARITY + k))) for k in COMPARISON_METRICS})
        rows.append(row)
    return rows


def baseline_row(name: str, metrics: Mapping[str, float], prefix: str) -> dict[str, str]:
    """A comparison-table row for a baseline (its `prefix`ed hit-rates; '—' elsewhere)."""
    row = {"preset": name, "layers": MISSING, "parameters": MISSING, "training time (s)": MISSING, "epochs": MISSING}
    row.update({label(k): show(_num(metrics.get(prefix + k))) for k in COMPARISON_METRICS})
    row.update({label(POPULARITY + k): MISSING for k in COMPARISON_METRICS})
    return row


def popularity_value(runs: Sequence[TowerRun], k: int = 100) -> float | None:
    """The popularity baseline hit-rate@k (the first run that has it; all share a split normally)."""
    for run in runs:
        value = run.metrics.get(f"popularity_hit_rate_at_{k}")
        if value is not None:
            return float(value)
    return None


def comparison_sentence(runs: Sequence[TowerRun], k: int = 100) -> str:
    """One sentence on what the numbers show: the best run at hit-rate@k, its margin over
    popularity, and whether deeper towers helped (runs are taken in depth order)."""
    key = f"hit_rate_at_{k}"
    scored = [r for r in runs if r.metrics.get(key) is not None]
    if not scored:
        return f"No model has a hit-rate@{k} yet."
    best = max(scored, key=lambda r: float(r.metrics[key]))
    value = float(best.metrics[key])
    text = f"The {best.label} towers are best at hit-rate@{k} ({value:.3f})"
    popularity = popularity_value(scored, k)
    if popularity is not None:
        gap = value - popularity
        relative = f", {gap / popularity:+.0%}" if popularity > 0 else ""
        side = "above" if gap >= 0 else "below"
        text += f", {abs(gap):.3f} {side} the popularity baseline ({popularity:.3f}{relative})"
    if len(scored) > 1:
        ordered = sorted(scored, key=lambda r: len(r.layers) if r.layers else scored.index(r))
        values = [float(r.metrics[key]) for r in ordered]
        chain = " → ".join(f"{r.label} {v:.3f}" for r, v in zip(ordered, values, strict=True))
        if best is ordered[-1] and all(b >= a for a, b in zip(values, values[1:], strict=False)):
            verdict = "each extra layer helped"
        elif best is ordered[-1]:
            verdict = "the deepest towers did best, though not every extra layer helped"
        elif best is ordered[0]:
            verdict = "deeper towers did not help"
        else:
            verdict = f"depth helped up to {best.label}, not beyond"
        text += f"; {verdict} ({chain})"
    return text + "."


def paired_tests(runs: Sequence[TowerRun], ease_per_user: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The paired tests over users between every two of the runs, popularity and EASE (those
    whose per-user values are known; all on the same split)."""
    from recexplore.evaluation.tower_comparison import EASE, POPULARITY, user_tests

    per_user: dict[str, Any] = {r.label: r.per_user for r in runs if r.per_user is not None}
    popular = next((r.popularity_per_user for r in runs if r.popularity_per_user is not None), None)
    if popular is not None:
        per_user[POPULARITY] = popular
    if ease_per_user is not None:
        per_user[EASE] = ease_per_user
    return user_tests(per_user) if len(per_user) > 1 else []


def tests_sentence(runs: Sequence[TowerRun], tests: Sequence[Mapping[str, Any]]) -> str:
    """One sentence on the best run by hit rate@10 and which of its differences are real."""
    from recexplore.evaluation.tower_comparison import summary_sentence

    best = max(runs, key=lambda r: float(r.metrics.get("hit_rate_at_10", 0.0))).label
    return summary_sentence(best, tests, 1)


def test_rows(tests: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The paired tests as table rows: the pair, the metric, the difference and its 95% interval, p."""
    return [
        {
            "A - B": f"{t['a']} - {t['b']}",
            "metric": label(t["metric"]),
            "difference": f"{t['diff']:+.4f}",
            "95% interval": f"[{t['ci_low']:+.4f}, {t['ci_high']:+.4f}]",
            "p (Holm)": f"{t['p_holm']:.3g}",
            "verdict": "real" if t["significant"] else "within noise",
        }
        for t in tests
    ]
