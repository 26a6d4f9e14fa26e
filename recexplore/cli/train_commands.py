"""The training commands: `train` (one model through the pipeline) and `pretrain` (the shipped entries)."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from recexplore.cli.inputs import command_clock, config_for, kept_preset, load_data, load_split
from recexplore.cli.output import UsageError, emit, json_default
from recexplore.families import ModelFamily


def _size_flags(fam: ModelFamily) -> str:
    """'--batch-size, --embedding-dim or --layers': the flags that shrink a family's model."""
    flags = ["--batch-size", "--embedding-dim"]
    flags += ["--" + name.replace("_", "-") for name in fam.options if fam.config.rule(name).get("layers")]
    return ", ".join(flags[:-1]) + " or " + flags[-1]


def _result_payload(result: Any, wall_start: float) -> dict[str, Any]:
    return {
        "kind": result.kind,
        **result.metrics,
        "train_seconds": round(result.train_seconds, 3),
        "wall_seconds": round(time.perf_counter() - wall_start, 3),
        "params": result.params,
        "device": result.device,
        "config": result.config.to_dict(),
        "split": result.split,
        **({"slices": result.extras["slices"]} if "slices" in result.extras else {}),
    }


def cmd_train(args: argparse.Namespace) -> int:
    """Train one model through the pipeline, print its metrics beside its peers', optionally save it."""
    from recexplore.config.memory import ResourceError
    from recexplore.families import family
    from recexplore.store import entry_format, registry
    from recexplore.training.pipeline import run
    from recexplore.training.trainer import ProgressHooks

    start = command_clock(args)
    fam = family(args.kind)
    data: Any = args.data
    kept = None
    if args.preset is not None and args.preset not in fam.presets:  # kept for a data set: read it first
        data = load_data(args)
        kept = kept_preset(fam, args, data)
    config = config_for(fam, args, kept=kept)
    wrong_split = fam.split_problem(args.split)
    if wrong_split is not None:
        raise UsageError(wrong_split)
    if args.save:  # checked before training, so a long run is never thrown away at the end
        problem = registry.writable_problem(args.models_dir)
        if problem is not None:
            raise entry_format.RegistryError(problem)
        if registry.has_entry(args.save, args.models_dir) and not args.overwrite:
            raise UsageError(f"a model named {args.save!r} exists; pass --overwrite to replace it")

    def epoch_line(epoch: int, logs: dict[str, float]) -> None:
        if not args.json:
            shown = ", ".join(f"{k}={v:.4f}" for k, v in logs.items() if k != "epoch")
            print(f"epoch {epoch + 1}: {shown}", flush=True)

    try:
        done = run(
            args.kind,
            config,
            data=data,
            dataset=args.dataset,
            split=args.split,
            seed=args.seed,
            hooks=ProgressHooks(on_epoch=epoch_line),
            size_epochs=args.epochs is None and kept is None,  # a kept preset was tuned on this data
        )
    except ResourceError as err:
        raise UsageError(f"{err.args[0]}; use a smaller {_size_flags(fam)}") from None
    # wall_seconds: the whole command, the peers included; peer_seconds: the peers' share of it
    payload = {**_result_payload(done.result, start), **done.peers, "peer_seconds": round(done.peer_seconds, 3)}
    if args.save:
        entry = registry.save(done.result, args.save, args.models_dir, overwrite=args.overwrite)
        payload["saved"] = str(entry.path)
    lines = [f"{k}: {v}" for k, v in payload.items() if k != "config"]
    emit(payload, args.json, lines)
    return 0


def cmd_pretrain(args: argparse.Namespace) -> int:
    """Retrain and save the pretrained default entries."""
    from recexplore.data.features import Vocabularies
    from recexplore.data.splits import make_split
    from recexplore.families import family, pretrained_entries
    from recexplore.store import entry_format, registry
    from recexplore.training.pipeline import run

    problem = registry.writable_problem(args.models_dir)
    if problem is not None:
        raise entry_format.RegistryError(problem)
    data, split = load_split(args)
    vocab = Vocabularies.build(data)
    digests = {}
    wanted = pretrained_entries()
    unknown = sorted(set(args.only or ()) - set(wanted))
    if unknown:
        raise UsageError(f"--only {unknown[0]!r} is not a pretrained entry (entries: {', '.join(wanted)})")
    for name, (kind, preset) in wanted.items():
        if args.only and name not in args.only:
            continue
        fam = family(kind)
        config = fam.make_config(preset)
        own = split if fam.split_problem(split.name) is None else make_split(data, fam.default_split, seed=args.seed)
        result = run(kind, config, data=data, split=own, seed=args.seed, vocab=vocab, peers=False).result
        digests[name] = registry.save(result, name, args.models_dir, overwrite=True).digest
        print(f"{name}: {json.dumps(result.metrics, default=json_default)}", flush=True)
    if registry.models_dir(args.models_dir).resolve() == registry.DEFAULT_MODELS_DIR.resolve():
        from recexplore.store import manifest

        manifest.pin_shipped(
            digests, keep_others=bool(args.only)
        )  # a clone trusts the shipped entries without this machine's key
        print(f"pinned the new entries' digests in {manifest.SHIPPED_FILE.name}")
    return 0
