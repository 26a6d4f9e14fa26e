"""Pure helpers for the Train and Compare pages: form values to configs, queue wording, the one submit path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from recexplore.families import family


def build_config(kind: str, values: Mapping[str, Any], kept: Mapping[str, Any] | None = None) -> Any:
    """The family's config for the form's values: a 'preset' value (the family's default one
    when absent, or one of `kept`: the presets kept for this data set, by name) with the other
    values on top.

    Raises:
        ValueError: unknown kind, preset or field, or a value the config refuses.
    """
    fields_ = dict(values)
    preset = fields_.pop("preset", None)
    if kept and preset in kept:  # its own settings under the form's (the form shows only some)
        return family(kind).make_config(kept[preset].base, **{**kept[preset].settings, **fields_})
    return family(kind).make_config(preset, **fields_)


def preset_choices(kind: str, kept: Sequence[Any]) -> list[str]:
    """The Train page's presets, those kept for this data set (`store.data_presets`, newest first)
    before the family's built-in ones."""
    return [p.name for p in kept] + list(family(kind).presets)


def preset_label(kind: str, preset: str, kept: Mapping[str, Any]) -> str:
    """A preset as the Train page lists it: a kept one says it was tuned on this data set."""
    if preset in kept:
        return kept[preset].label()
    fam = family(kind)
    return f"{preset} ({fam.label(fam.make_config(preset))})"


def job_label(kind: str, config: Any) -> str:
    """A short human-readable description of a training request."""
    return family(kind).label(config)


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
    from recexplore.config.memory import ResourceError
    from recexplore.data.movielens import DataError
    from recexplore.engine.cluster import EngineError
    from recexplore.store import entry_format, registry, workspaces

    try:  # where the models will be saved: checked now, not after the training
        problem = registry.writable_problem(workspaces.workspace_dir(workspace))
    except entry_format.RegistryError as err:
        problem = str(err)
    if problem is not None:
        return [], f"Training is unavailable: {problem}"
    try:
        return manager.submit_many(workspace, list(requests), data), None
    except ResourceError as err:  # refused before anything is allocated
        return [], f"{err}: lower the batch size or the embedding dim."
    except (EngineError, DataError, ValueError) as err:  # limits (JobLimitError), bad split, no engine
        return [], str(err)
