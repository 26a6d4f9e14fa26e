"""What the shared flags ask for: the data set (--data, --dataset), its split, and a family's config."""

from __future__ import annotations

import argparse
import dataclasses
import time
from typing import Any

from recexplore.families import ModelFamily, sized_epochs


def load_split(args: argparse.Namespace) -> tuple[Any, Any]:
    from recexplore.data.splits import make_split

    data = load_data(args)
    return data, make_split(data, args.split, seed=args.seed)


def load_data(args: argparse.Namespace) -> Any:
    """The data set --data and --dataset name."""
    from recexplore.data.loading import load_movielens

    return load_movielens(args.data, dataset=args.dataset)


def _common_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings every family has, as the shared flags set them (None: not given)."""
    return {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "embedding_dim": args.embedding_dim,
    }


def config_for(
    fam: ModelFamily,
    args: argparse.Namespace,
    preset: str | None = None,
    ratings: int | None = None,
    kept: Any = None,
) -> Any:
    """The config the flags ask for: the preset (`--preset`, or the one the family recognises in
    the flags, e.g. a tower preset's widths, or `kept`: a preset kept for this data set) with every
    given flag on top; without --epochs, the preset's epochs sized for a data set of `ratings`
    (`families.sized_epochs`)."""
    settings = {**_common_settings(args), **{name: getattr(args, name, None) for name in fam.options}}
    if kept is not None:
        given = {name: value for name, value in settings.items() if value is not None}
        return fam.make_config(kept.base, **{**kept.settings, **given})
    config = fam.make_config(preset or getattr(args, "preset", None), **settings)
    if args.epochs is None and ratings is not None:
        config = dataclasses.replace(config, epochs=sized_epochs(config.epochs, ratings))
    return config


def kept_preset(fam: ModelFamily, args: argparse.Namespace, data: Any) -> Any:
    """The preset kept for this data set that `--preset` names (`store.data_presets`), or None for a
    built-in one; a name that is neither is refused in one line, naming both kinds."""
    from recexplore.cli.output import UsageError
    from recexplore.store.data_presets import find_preset, presets_for

    name = getattr(args, "preset", None)
    if name is None or name in fam.presets:
        return None
    folders = [args.models_dir]
    found = find_preset(fam.name, data.fingerprint, name, folders)
    if found is None:
        kept = [p.name for p in presets_for(fam.name, data.fingerprint, folders)]
        offered = ", ".join(fam.presets) + (f"; kept for this data set: {', '.join(kept)}" if kept else "")
        raise UsageError(f"--preset {name}: no such preset for {fam.name} on this data set (presets: {offered})")
    return found


def command_clock(args: argparse.Namespace) -> float:
    """A `time.perf_counter()` reading for when the command began: the process's start when the
    entry point knows it (`wall_seconds` then match the process's own wall time), else now."""
    started_at = getattr(args, "started_at", None)
    now = time.perf_counter()
    return now if started_at is None else now - max(0.0, time.time() - started_at)
