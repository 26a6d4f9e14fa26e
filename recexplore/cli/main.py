"""Command-line interface: data, folds, train, compare-towers, compare-rankers, recommend, models, pretrain.

The `train` sub-commands and their flags come from the family table (`recexplore.families`):
one sub-command per family, its presets as `--preset`, its `options` as flags built from the
config's own rules. No family is named here."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

from recexplore.data.movielens import DATA_ENV, MAX_SEED
from recexplore.families import RATING, RETRIEVAL, ModelFamily, sized_epochs, task_presets

EXIT_USAGE = 2
EXIT_FAILURE = 1


class UsageError(Exception):
    """Bad command-line arguments (exit code 2)."""


class EngineJobError(Exception):
    """A job on the training engine failed or was stopped (exit code 1)."""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _seed(text: str) -> int:
    message = f"expected an integer from 0 to {MAX_SEED}, got {text!r}"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(message) from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(message)
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _setting_type(config_cls: Any, name: str) -> Any:
    """An argparse type for config field `name`, checked by the field's own rule."""
    rule = config_cls.rule(name)
    if rule.get("layers"):
        from recexplore.config.settings import parse_layers

        def layers(text: str) -> tuple[int, ...]:
            try:
                return parse_layers(text, name, allow_empty=rule["layers"] == "any")
            except ValueError as err:
                raise argparse.ArgumentTypeError(str(err)) from None

        return layers
    bound = rule["bound"]

    def number(text: str) -> float:
        try:
            value = int(text) if bound.integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {bound.describe()}, got {text!r}") from None
        if not bound.allows(value):
            raise argparse.ArgumentTypeError(f"expected {bound.describe()}, got {text!r}")
        return value

    return number


def _add_setting_flag(parser: argparse.ArgumentParser, config_cls: Any, name: str) -> None:
    """A flag for config field `name`: its help, default and rule read from the config."""
    rule, flag = config_cls.rule(name), "--" + name.replace("_", "-")
    default = getattr(config_cls(), name)
    shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
    text = f"{rule['help']} (default: the preset's, else {shown})"
    if rule.get("choices"):
        parser.add_argument(flag, choices=rule["choices"], help=text)
    elif rule.get("bound") is None and not rule.get("layers"):  # a bool: --x / --no-x
        parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=text)
    else:
        parser.add_argument(flag, type=_setting_type(config_cls, name), help=text)


def _add_family_parser(sub: Any, fam: ModelFamily) -> None:
    """`train <family>`: the shared options, `--preset`, and the family's own settings."""
    parser = sub.add_parser(fam.name, help=fam.description, description=fam.description)
    _add_train_options(parser)
    if fam.splits:  # a next-movie family trains on a time-ordered split
        parser.set_defaults(split=fam.default_split)
    parser.add_argument(
        "--preset", choices=list(fam.presets), help=f"settings to start from (default {fam.default_preset})"
    )
    for name in fam.options:
        _add_setting_flag(parser, fam.config, name)
    parser.add_argument("--save", metavar="NAME", type=_model_name, help="save under this name in the registry")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing entry of that name")


def _ratings(text: str) -> list[tuple[str, float]]:
    from recexplore.serving.recommend import RecommendError, parse_rate_option

    try:
        return parse_rate_option(text)
    except RecommendError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _model_name(text: str) -> str:
    from recexplore.store.entry_format import RegistryError, check_name

    try:
        return check_name(text)
    except RegistryError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _add_source_options(parser: argparse.ArgumentParser) -> None:
    """--data and --dataset: which data set, from where (every command that reads data has both)."""
    from recexplore.data.sources import DATASET_ENV, NAMES

    parser.add_argument(
        "--data",
        metavar="PATH",
        help=f"a MovieLens folder or zip in any layout, or a folder of them (default: ${DATA_ENV} or download)",
    )
    parser.add_argument(
        "--dataset",
        choices=NAMES,
        help=f"which data set (default: ${DATASET_ENV}, else the one at --data, else ml-100k)",
    )


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    _add_source_options(parser)
    parser.add_argument("--split", default="random", help="'random' (seeded 80/20) or an official fold u1..u5, ua, ub")
    parser.add_argument("--seed", type=_seed, default=42, help="split and training seed (default 42)")


def _add_train_options(parser: argparse.ArgumentParser) -> None:
    _add_data_options(parser)
    parser.add_argument("--epochs", type=_positive_int, help="training epochs (default: the preset's)")
    parser.add_argument("--batch-size", type=_positive_int, help="batch size")
    parser.add_argument("--learning-rate", type=_positive_float, help="Adam learning rate")
    parser.add_argument("--embedding-dim", type=_positive_int, help="embedding width")
    parser.add_argument("--models-dir", metavar="DIR", help="registry folder (default ./cached_models)")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")


def build_parser(with_families: bool = True) -> _Parser:
    """The full argument parser; without `with_families` the `train` sub-commands are left out, so
    that commands other than `train` parse without importing the model code (and Keras)."""
    parser = _Parser(
        prog="python -m recexplore", description="RecExplore: deep recommenders on MovieLens, 100K to 25M."
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    data = sub.add_parser("data", help="load a MovieLens data set and summarise it")
    _add_data_options(data)
    data.add_argument("--json", action="store_true")

    folds = sub.add_parser("folds", help="write a seeded 5-fold split (u1..u5 .base/.test) into a new folder")
    _add_source_options(folds)
    folds.add_argument("--out", metavar="DIR", required=True, help="a new or empty folder for the data and the folds")
    folds.add_argument("--seed", type=_seed, default=42, help="shuffle seed (default 42)")
    folds.add_argument("--json", action="store_true")

    train = sub.add_parser("train", help="train one model")
    train_sub = train.add_subparsers(dest="kind", required=True, parser_class=_Parser)
    if with_families:
        from recexplore.families import families

        for fam in families():
            _add_family_parser(train_sub, fam)

    compare = sub.add_parser("compare-towers", help="train and evaluate the retrieval presets (1/2/3-layer towers)")
    rankers = sub.add_parser(
        "compare-rankers", help="train the rating presets (DLRM, DCN full and low rank, DNN) on the same folds"
    )
    for comparing in (compare, rankers):
        _add_train_options(comparing)
        comparing.add_argument(
            "--folds",
            type=_positive_int,
            help="train on this many of the data's official folds u1..u5 (or `folds` output) and test the "
            "differences over them; default: the one --split",
        )

    rec = sub.add_parser("recommend", help="top-k movies for a user from a saved retrieval model")
    who = rec.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", help="user id")
    who.add_argument(
        "--rate",
        type=_ratings,
        metavar="MOVIE=STARS,...",
        help="a new user's ratings: movie ids or title pieces, 1-5 stars (e.g. 50=5,Titanic=1)",
    )
    rec.add_argument("--k", type=_positive_int, default=10, help="number of movies (default 10)")
    rec.add_argument("--model", type=_model_name, help="registry name (default: the pretrained retrieval model)")
    rec.add_argument("--models-dir", metavar="DIR")
    _add_source_options(rec)
    rec.add_argument("--json", action="store_true")

    models = sub.add_parser("models", help="list or delete saved models")
    models_sub = models.add_subparsers(dest="action", required=True, parser_class=_Parser)
    listing = models_sub.add_parser("list", help="list entries (broken ones with the reason)")
    listing.add_argument("--models-dir", metavar="DIR")
    listing.add_argument("--json", action="store_true")
    remove = models_sub.add_parser("delete", help="delete an entry")
    remove.add_argument("name", type=_model_name)
    remove.add_argument("--models-dir", metavar="DIR")

    pretrain = sub.add_parser("pretrain", help="rebuild the pretrained entries of cached_models/")
    _add_data_options(pretrain)
    pretrain.add_argument("--models-dir", metavar="DIR")
    pretrain.add_argument(
        "--only", metavar="NAME", action="append", help="rebuild only this entry (repeatable; default: every one)"
    )
    from recexplore.data.synth import SYNTH_LAYOUTS

    synth = sub.add_parser("synth", help="write a synthetic data set in a MovieLens layout (tests, benchmarks)")
    synth.add_argument("--layout", choices=SYNTH_LAYOUTS, required=True, help="the file layout to write")
    synth.add_argument("--ratings", type=_positive_int, required=True, help="number of ratings")
    synth.add_argument("--users", type=_positive_int, required=True, help="number of users")
    synth.add_argument("--movies", type=_positive_int, required=True, help="number of movies")
    synth.add_argument("--out", metavar="DIR", required=True, help="a new or empty folder")
    synth.add_argument("--seed", type=_seed, default=0, help="generator seed (default 0)")
    synth.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    from recexplore.data.movielens import DataError
    from recexplore.engine.cluster import EngineError
    from recexplore.store.entry_format import RegistryError

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(with_families=argv[:1] == ["train"]).parse_args(argv)
    except UsageError as err:
        print(f"recexplore: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except UsageError as err:
        print(f"recexplore: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as err:  # invalid configs and requests name the argument
        print(f"recexplore: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except (DataError, RegistryError, EngineError, EngineJobError) as err:
        print(f"recexplore: error: {err}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("recexplore: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("recexplore: error: out of memory; use smaller sizes", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:  # `... | head` closed the pipe: not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second BrokenPipeError when Python flushes stdout
        return 0


def _emit(payload: dict[str, Any], as_json: bool, lines: list[str]) -> None:
    if as_json:
        print(json.dumps(payload, sort_keys=True, default=_json_default))
    else:
        print("\n".join(lines))


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _load_split(args: argparse.Namespace) -> tuple[Any, Any]:
    from recexplore.data.splits import make_split

    data = _load(args)
    return data, make_split(data, args.split, seed=args.seed)


def _load(args: argparse.Namespace) -> Any:
    """The data set --data and --dataset name."""
    from recexplore.data.loading import load_movielens

    return load_movielens(args.data, dataset=args.dataset)


def cmd_data(args: argparse.Namespace) -> int:
    """Summarise the data set and the chosen split."""
    import resource

    data, split = _load_split(args)
    movie_features = ("title", "genres", "year")
    payload = {
        "dataset": data.dataset,
        "title": data.source.title,
        "folder": str(data.folder),
        "fingerprint": data.fingerprint,
        "ratings": len(data.ratings),
        "users": len(data.users),
        "movies": len(data.movies),
        "features": [*data.source.user_features, *movie_features],
        "missing_features": list(data.missing_features),
        "splits": data.available_splits(),
        "split": split.describe(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    lines = [f"{k}: {v}" for k, v in payload.items()]
    _emit(payload, args.json, lines)
    return 0


def _common_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings every family has, as the shared flags set them (None: not given)."""
    return {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "embedding_dim": args.embedding_dim,
    }


def _config_for(
    fam: ModelFamily, args: argparse.Namespace, preset: str | None = None, ratings: int | None = None
) -> Any:
    """The config the flags ask for: the preset (`--preset`, or the one the family recognises in
    the flags, e.g. a tower preset's widths) with every given flag on top; without --epochs, the
    preset's epochs sized for a data set of `ratings` (`families.sized_epochs`)."""
    settings = {**_common_settings(args), **{name: getattr(args, name, None) for name in fam.options}}
    config = fam.make_config(preset or getattr(args, "preset", None), **settings)
    if args.epochs is None and ratings is not None:
        config = dataclasses.replace(config, epochs=sized_epochs(config.epochs, ratings))
    return config


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


def cmd_folds(args: argparse.Namespace) -> int:
    """Write a seeded 5-fold split in the official format, with a copy of the data beside it."""
    from pathlib import Path

    from recexplore.data.splits import write_folds

    data = _load(args)
    out = Path(args.out).expanduser()
    names = write_folds(data, out, seed=args.seed)
    payload = {"folder": str(out), "folds": names, "seed": args.seed, "ratings": len(data.ratings)}
    _emit(
        payload,
        args.json,
        [f"wrote {', '.join(names)} (seed {args.seed}) into {out}: use --data {out} --split u1 .. u5"],
    )
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Train one model through the pipeline, print its metrics beside its peers', optionally save it."""
    from recexplore.config.memory import ResourceError
    from recexplore.families import family
    from recexplore.store import entry_format, registry
    from recexplore.training.pipeline import run
    from recexplore.training.trainer import ProgressHooks

    start = time.perf_counter()
    fam = family(args.kind)
    config = _config_for(fam, args)
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
            data=args.data,
            dataset=args.dataset,
            split=args.split,
            seed=args.seed,
            hooks=ProgressHooks(on_epoch=epoch_line),
            size_epochs=args.epochs is None,
        )
    except ResourceError as err:
        raise UsageError(f"{err.args[0]}; use a smaller {_size_flags(fam)}") from None
    payload = {**_result_payload(done.result, start), **done.peers}
    if args.save:
        entry = registry.save(done.result, args.save, args.models_dir, overwrite=args.overwrite)
        payload["saved"] = str(entry.path)
    lines = [f"{k}: {v}" for k, v in payload.items() if k != "config"]
    _emit(payload, args.json, lines)
    return 0


def _train_on_engine(requests: list[Any], data: Any, side_work: Any = None) -> tuple[list[Any], Any]:
    """Train `requests` as concurrent jobs on the training engine (a local Ray, or the cluster in
    RECEXPLORE_RAY_ADDRESS); `side_work()` runs while they train. Returns (jobs, its result)."""
    from recexplore.config.memory import ResourceError
    from recexplore.engine.jobs import DONE, JobManager
    from recexplore.engine.settings import EngineSettings

    settings = EngineSettings.from_env()  # the operator's run: the per-workspace job limit does not apply
    manager = JobManager(dataclasses.replace(settings, max_active_jobs=max(settings.max_active_jobs, len(requests))))
    try:
        jobs = manager.submit_many("cli", requests, data)
    except ResourceError as err:
        raise UsageError(f"{err.args[0]}; use a smaller --batch-size or --embedding-dim") from None
    try:
        extra = side_work() if side_work is not None else None
        for job in jobs:
            manager.wait(job, float("inf"))
    finally:
        manager.shutdown()
    failed = [j for j in jobs if j.status != DONE or j.result is None]
    if failed:
        request = failed[0].request
        raise EngineJobError(f"the {request.label} job on {request.split} {failed[0].status}: {failed[0].error}")
    return jobs, extra


def cmd_compare_towers(args: argparse.Namespace) -> int:
    """Train the retrieval presets (the 1/2/3-layer towers) on one split, or on each of `--folds`
    official folds, as concurrent jobs on the training engine, and compare them with popularity and
    EASE on every metric, by user group, and with paired tests (over users, or over folds)."""
    from recexplore.data.splits import make_split
    from recexplore.data.splits import fold_splits
    from recexplore.evaluation.tower_comparison import compare, split_baseline
    from recexplore.evaluation.ease_report import cached_report_with_users
    from recexplore.training.request import TrainRequest

    start = time.perf_counter()
    data = _load(args)
    splits = fold_splits(data, args.folds) if args.folds else [args.split]
    presets = task_presets(RETRIEVAL)
    order = [p for _, p in presets]
    submit = sorted(presets, key=lambda fp: fp[0].queue_order.index(fp[1]))
    requests = [
        TrainRequest(f.name, _config_for(f, args, p, len(data.ratings)), split, args.seed, label=p, preset=p)
        for split in splits
        for f, p in submit
    ]

    def baselines() -> dict[str, Any]:  # EASE on each split, fitted while the towers train
        return {s: cached_report_with_users(data, make_split(data, s, seed=args.seed), args.seed) for s in splits}

    jobs, ease = _train_on_engine(requests, data, baselines)
    jobs.sort(key=lambda j: (splits.index(j.request.split), order.index(j.request.preset)))  # shallowest first
    comparison = compare(
        [(j.request.preset, j.request.split, j.result) for j in jobs],
        {s: found[0] for s, found in ease.items()},
        {s: found[1] for s, found in ease.items()},
        splits,
    )
    layers = {j.request.preset: list(j.result.config.layers) for j in jobs}
    if len(splits) == 1:
        rows = [
            {
                "preset": j.request.preset,
                "layers": layers[j.request.preset],
                **split_baseline(j.result.metrics, "popularity_")[0],
                "params": j.result.params,
                "train_seconds": round(j.result.train_seconds, 3),
            }
            for j in jobs
        ]
        popularity = split_baseline(jobs[0].result.metrics, "popularity_")[1]
        payload: dict[str, Any] = {"presets": rows, "popularity": popularity, "ease": ease[splits[0]][0]}
        lines = _tower_lines(rows, popularity, ease[splits[0]][0])
    else:
        rows = [{"preset": r["model"], "layers": layers[r["model"]], **r} for r in comparison["rows"]]
        payload = {"presets": rows, "popularity": comparison["popularity"], "ease": comparison["ease"]}
        lines = _tower_fold_lines(comparison)
    payload.update(
        splits=splits,
        slices=comparison["slices"],
        significance=comparison["significance"],
        best=comparison["best"],
        summary=comparison["summary"],
        device=jobs[-1].result.device,
        wall_seconds=round(time.perf_counter() - start, 3),
        split=jobs[-1].result.meta["split"],
    )
    best_tests = [t["sentence"] for t in comparison["significance"] if comparison["best"] in (t["a"], t["b"])]
    _emit(payload, args.json, [*lines, comparison["summary"], *best_tests])
    return 0


def _tower_lines(rows: list[dict[str, Any]], popularity: dict[str, float], ease: dict[str, float]) -> list[str]:
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


def _tower_fold_lines(comparison: dict[str, Any]) -> list[str]:
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


def cmd_compare_rankers(args: argparse.Namespace) -> int:
    """Train every rating preset (DLRM, DCN full and low rank, the DNN control) on the same split,
    or on each of `--folds` official folds, as concurrent jobs, and say which differences are real."""
    from recexplore.evaluation.ranker_comparison import compare_rows
    from recexplore.data.splits import fold_splits
    from recexplore.training.request import TrainRequest

    start = time.perf_counter()
    data = _load(args)
    splits = fold_splits(data, args.folds) if args.folds else [args.split]
    presets = task_presets(RATING)
    requests = [
        TrainRequest(f.name, _config_for(f, args, p, len(data.ratings)), split, args.seed, label=p, preset=p)
        for split in splits
        for f, p in presets
    ]
    jobs, _ = _train_on_engine(requests, data)
    payload = compare_rows([(j.request.preset, j.request.kind, j.request.split, j.result) for j in jobs], splits)
    payload.update(wall_seconds=round(time.perf_counter() - start, 3), device=jobs[0].result.device)
    _emit(payload, args.json, payload["lines"])
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    """Print top-k recommendations for one user, or for a new user from `--rate`."""
    from recexplore.evaluation.scoring import prepare_loaded
    from recexplore.families import RECOMMEND, families, family
    from recexplore.serving.recommend import Recommender, for_new_user, resolve_movies
    from recexplore.store import registry

    name = args.model or families(view=RECOMMEND)[0].default_entry
    loaded = registry.load(name, args.models_dir)
    if not family(loaded.kind).offers(RECOMMEND):
        raise UsageError(f"model {name!r} is a {loaded.kind} model; recommend needs a retrieval model")
    data = _load(args)
    space, split = prepare_loaded(loaded.kind, loaded.model, loaded.meta, data, loaded.vocab)
    recommender = Recommender.build(loaded.model, loaded.vocab, data, split, space)
    if args.rate is not None:
        ratings = resolve_movies(data, args.rate)
        frame = for_new_user(recommender, ratings, args.k)
        payload = {
            "ratings": {str(m): s for m, s in ratings.items()},
            "model": name,
            "recommendations": frame.to_dict(orient="records"),
        }
    else:
        frame = recommender.recommend(args.user, args.k)
        payload = {"user": int(args.user), "model": name, "recommendations": frame.to_dict(orient="records")}
    lines = [f"{r.rank:>3}. {r.movie_title} [{r.movie_genres}] score={r.score:.3f}" for r in frame.itertuples()]
    _emit(payload, args.json, lines)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    """List or delete registry entries."""
    from recexplore.store import registry

    if args.action == "delete":
        registry.delete(args.name, args.models_dir)
        print(f"deleted {args.name}")
        return 0
    entries = registry.list_entries(args.models_dir)
    rows = []
    for e in entries:
        metrics = e.meta.get("metrics", {})
        headline = _headline(metrics)
        rows.append({"name": e.name, "kind": e.kind, "ok": e.ok, "problem": e.problem, "metrics": metrics})
        status = headline if e.ok else f"BROKEN: {e.problem}"
        print(f"{e.name:<24} {e.kind:<7} {status}") if not args.json else None
    if args.json:
        print(json.dumps({"models": rows}, default=_json_default))
    elif not entries:
        print(f"no models in {registry.models_dir(args.models_dir)}")
    return 0


def _headline(metrics: dict[str, Any]) -> str:
    """An entry's headline metric ('test_rmse=0.8866'): the first task whose headline it has (read
    from the metrics, so a listing imports no model code); '?' when it has none."""
    from recexplore.families import TASKS

    task = next((t for t in TASKS.values() if t.headline in metrics), None)
    return task.headline_text(metrics) if task is not None else "?"


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
    data, split = _load_split(args)
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
        print(f"{name}: {json.dumps(result.metrics, default=_json_default)}", flush=True)
    if registry.models_dir(args.models_dir).resolve() == registry.DEFAULT_MODELS_DIR.resolve():
        from recexplore.store import manifest

        manifest.pin_shipped(
            digests, keep_others=bool(args.only)
        )  # a clone trusts the shipped entries without this machine's key
        print(f"pinned the new entries' digests in {manifest.SHIPPED_FILE.name}")
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    """Write a synthetic data set in a MovieLens layout (no real rows: MovieLens may not be redistributed)."""
    from pathlib import Path

    from recexplore.data.synth import write_synthetic

    out = Path(args.out).expanduser()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} is not a new or empty folder")
    start = time.perf_counter()
    counts = write_synthetic(out, args.layout, args.ratings, args.users, args.movies, seed=args.seed)
    payload = {"folder": str(out), "layout": args.layout, **counts, "seconds": round(time.perf_counter() - start, 3)}
    _emit(
        payload,
        args.json,
        [
            f"wrote {counts['ratings']:,} ratings of {counts['users']:,} users and {counts['movies']:,} movies "
            f"({args.layout} layout) into {out}: use --data {out}"
        ],
    )
    return 0


COMMANDS = {
    "synth": cmd_synth,
    "data": cmd_data,
    "folds": cmd_folds,
    "train": cmd_train,
    "compare-towers": cmd_compare_towers,
    "compare-rankers": cmd_compare_rankers,
    "recommend": cmd_recommend,
    "models": cmd_models,
    "pretrain": cmd_pretrain,
}
