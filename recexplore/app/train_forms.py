"""Pure helpers for the Train and Compare pages: form parsing, queue wording, comparison table and sentence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from recexplore.app.metric_names import MISSING, POPULARITY, label, show
from recexplore.models.dlrm import DLRMConfig
from recexplore.models.towers import TowerConfig
from recexplore.presets import TOWER_PRESETS

COMPARISON_METRICS = ("hit_rate_at_10", "hit_rate_at_100", "seed_top100_accuracy", "seed_top100_accuracy_all")


def build_config(kind: str, values: Mapping[str, Any]) -> DLRMConfig | TowerConfig:
    """The model config for the form's values; fields not in `values` keep their defaults.

    For 'towers', a 'preset' value ('1-layer', ...) sets the layers.

    Raises:
        ValueError: unknown kind, preset or field, or a value the config refuses.
    """
    fields_ = dict(values)
    if kind == "dlrm":
        cls: type[DLRMConfig] | type[TowerConfig] = DLRMConfig
    elif kind == "towers":
        cls = TowerConfig
        preset = fields_.pop("preset", None)
        if preset is not None:
            if preset not in TOWER_PRESETS:
                raise ValueError(f"preset must be one of {', '.join(TOWER_PRESETS)}, got {preset!r}")
            fields_["layers"] = TOWER_PRESETS[preset]
    else:
        raise ValueError(f"kind must be 'dlrm' or 'towers', got {kind!r}")
    return cls.from_dict(fields_)


def job_label(kind: str, config: DLRMConfig | TowerConfig) -> str:
    """A short human-readable description of a training request."""
    if isinstance(config, TowerConfig):
        preset = next((p for p, layers in TOWER_PRESETS.items() if layers == config.layers), None)
        shape = preset or "layers " + ",".join(str(w) for w in config.layers)
        return f"two-tower {shape}, dim {config.embedding_dim}, {config.epochs} epochs"
    return f"DLRM dim {config.embedding_dim}, {config.epochs} epochs"


def queue_message(status: str, position: int) -> str:
    """Where a job stands, e.g. 'waiting for a free worker: 2 jobs ahead' (position as
    JobManager.position gives it: 1 is the next to start)."""
    if status == "queued":
        ahead = max(position - 1, 0)
        return f"waiting for a free worker: {ahead} job{'s' if ahead != 1 else ''} ahead"
    return {"running": "training", "done": "done", "failed": "failed", "cancelled": "cancelled"}.get(status, status)


PANEL_REFRESH_S = 1.0  # how often a job panel redraws while one of its jobs is queued or running


def refresh_interval(jobs: Sequence[Any]) -> float | None:
    """The job panel's redraw interval: PANEL_REFRESH_S while any of `jobs` is queued or running,
    None (no polling at all) otherwise, so an idle page costs the server nothing."""
    return PANEL_REFRESH_S if any(j.status in ("queued", "running") for j in jobs) else None


def limits_caption(settings: Any, saved: int) -> str:
    """The workspace limits in one line, as the Train and Compare pages show them."""
    minutes = settings.job_time_budget_s / 60
    return (
        f"Workspace limits: {settings.max_active_jobs} jobs queued or running at once · each job stops after "
        f"{minutes:g} min · {saved} of {settings.max_saved_models} saved models used."
    )


def submit_problem(manager: Any, workspace: str, requests: Sequence[Any], data: Any) -> tuple[list[Any], str | None]:
    """Submit `requests` through the job manager (the one submit path: limits and memory are
    checked there); returns (jobs, None), or ([], one line saying why nothing was queued)."""
    from recexplore import registry, workspaces
    from recexplore.data import DataError
    from recexplore.engine import EngineError
    from recexplore.resources import ResourceError

    try:  # where the models will be saved: checked now, not after the training
        problem = registry.writable_problem(workspaces.workspace_dir(workspace))
    except registry.RegistryError as err:
        problem = str(err)
    if problem is not None:
        return [], f"Training is unavailable: {problem}"
    try:
        return manager.submit_many(workspace, list(requests), data), None
    except ResourceError as err:  # refused before anything is allocated
        return [], f"{err}: lower the batch size or the embedding dim."
    except (EngineError, DataError, ValueError) as err:  # limits (JobLimitError), bad split, no engine
        return [], str(err)


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
        return cls(
            label, dict(result.metrics), [dict(h) for h in result.history], result.params, result.train_seconds, layers
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
