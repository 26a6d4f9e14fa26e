"""`tune <family>`: a hyperparameter sweep on Ray Tune, its best settings tested beside the preset."""

from __future__ import annotations

import argparse
import time
from typing import Any

from recexplore.cli.inputs import command_clock, load_data
from recexplore.cli.output import EngineJobError, UsageError, emit


def _pairs(items: list[str] | None, flag: str) -> list[tuple[str, str]]:
    """'name=value' items as (name, value) pairs, refused in one line when not of that form."""
    pairs = []
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{flag} takes NAME=VALUE, got {item!r}")
        pairs.append((name.strip(), value))
    return pairs


def sweep_request(args: argparse.Namespace) -> Any:
    """The sweep the flags ask for: --set values and --space ranges read by each setting's own rule."""
    from recexplore.config.search import parse_dimension, parse_value
    from recexplore.engine.sweeps import SweepRequest
    from recexplore.families import family

    fam = family(args.kind)
    settings = {f for f in fam.config.__dataclass_fields__}

    def rule(name: str, flag: str) -> Any:
        if name not in settings:
            raise UsageError(f"{flag} {name}: {fam.name} has no such setting (settings: {', '.join(sorted(settings))})")
        return fam.config.rule(name)

    fixed = {name: parse_value(name, value, rule(name, "--set")) for name, value in _pairs(args.set, "--set")}
    space = {name: parse_dimension(name, spec, rule(name, "--space")) for name, spec in _pairs(args.space, "--space")}
    if args.keep is not None:  # before the sweep: a name that cannot be kept never costs one
        from recexplore.store.data_presets import check_preset_name

        check_preset_name(fam.name, args.keep)
    if args.preset is not None:
        fam.preset_settings(args.preset)  # an unknown preset is refused here, naming the presets
    split = args.split or fam.default_split
    problem = fam.split_problem(split)
    if problem is not None:
        raise UsageError(problem)
    return SweepRequest(
        args.kind,
        args.preset,
        fixed,
        {**fam.space, **space} if space else {},
        args.trials,
        args.time_budget,
        split,
        args.seed,
        preset_trial=True,  # the first trial: the preset's own values, measured on the same validation split
        search=args.search,
    )


def cmd_tune(args: argparse.Namespace) -> int:
    """Sweep a family's settings on the validation split of the training part; test the best and the preset."""
    from recexplore.engine.sweeps import SweepFailed, run_sweep
    from recexplore.store import entry_format, registry

    start = command_clock(args)
    request = sweep_request(args)
    problem = registry.writable_problem(args.models_dir)  # before the sweep: its record is never thrown away
    if problem is not None:
        raise entry_format.RegistryError(problem)
    data = load_data(args)

    def trial_line(row: dict[str, Any]) -> None:
        if not args.json:
            if row["error"]:
                shown = row["error"]
            elif row["validation"] is None:
                shown = "stopped before its first epoch ended"
            else:
                shown = f"{row['validation']:.4f} after {row['epochs']} epochs"
            print(f"trial {row['settings']}: {shown}", flush=True)

    try:
        sweep = run_sweep(request, data, args.models_dir, test_best=not args.no_test, on_trial=trial_line)
    except SweepFailed as err:
        raise EngineJobError(str(err)) from None
    payload = {"data_fingerprint": data.fingerprint, **sweep.as_dict()}
    if args.keep is not None:
        from recexplore.store.data_presets import keep_preset

        payload["kept"] = str(keep_preset(payload, args.keep, args.models_dir))
    payload["wall_seconds"] = round(time.perf_counter() - start, 3)
    best, tested = payload["best"], payload["tested"]
    metric = payload["metric"]
    lines = [
        f"{len(payload['trials'])} trials ({payload['failed']} failed) in {payload['sweep_seconds']:.0f} s; "
        f"best validation {metric} {best['validation']:.4f} with {best['settings']}",
        *(f"{name} on the test part: {metric} {found.get(metric, float('nan')):.4f}" for name, found in tested.items()),
        f"record: {payload['record']}",
        *([f"kept as preset {args.keep!r} for this data set: train --preset {args.keep}"] if args.keep else []),
    ]
    emit(payload, args.json, lines)
    return 0
