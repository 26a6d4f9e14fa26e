"""The argument parser: every command's flags, `train <family>` and its flags read from the family table."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from recexplore.cli.output import UsageError
from recexplore.config.search import SEARCHES
from recexplore.config.trade_off import TRADE_OFF_WEIGHTS, parse_weights
from recexplore.data.movielens import DATA_ENV, MAX_SEED
from recexplore.families import ModelFamily


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _weights(text: str) -> tuple[float, ...]:
    """`--weights 0,0.5,1`: retrieval weights from 0 to 1."""
    try:
        return parse_weights(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _loss_list(text: str) -> tuple[str, ...]:
    """`--losses mse,list_mle`: the names, stripped (checked against the presets when used)."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


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
        "--preset",
        help=f"settings to start from: {', '.join(fam.presets)} (default {fam.default_preset}), "
        "or a preset a sweep kept for this data set (`tune --keep`)",
    )
    for name in fam.options:
        _add_setting_flag(parser, fam.config, name)
    parser.add_argument("--save", metavar="NAME", type=_model_name, help="save under this name in the registry")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing entry of that name")


def _add_index_options(parser: argparse.ArgumentParser) -> None:
    """`--index` and its settings, each with the help, bound and default `IndexConfig` declares."""
    from recexplore.config.retrieval_index import INDEX_KINDS, IndexConfig

    defaults = IndexConfig()
    parser.add_argument("--index", choices=INDEX_KINDS, help=f"{IndexConfig.rule('kind')['help']} (default exact)")
    for name in ("nlist", "nprobe", "hnsw_m", "ef_search"):
        text = f"{IndexConfig.rule(name)['help']} (default {getattr(defaults, name)})"
        parser.add_argument("--" + name.replace("_", "-"), type=_setting_type(IndexConfig, name), help=text)


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
        prog="python -m recexplore",
        description="RecExplore: deep recommenders on MovieLens, 100K to 25M.",
        epilog="Set-up commands (they install what is missing first, see docs/cli.md): "
        "`python -m recexplore app` runs the app, `python -m recexplore test` runs the tests.",
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
    rankers.add_argument(
        "--losses",
        type=_loss_list,
        default=("mse",),
        help="the losses to compare, comma-separated (mse: DLRM, DCN, DNN; pairwise_hinge, pairwise_logistic, "
        "list_mle: the listwise ranker trained with that loss); default: mse",
    )

    trade = sub.add_parser(
        "compare-multitask",
        help="train the multi-task family across retrieval weights beside the DLRM and the 1-layer towers",
    )
    _add_train_options(trade)
    trade.add_argument(
        "--weights",
        type=_weights,
        default=TRADE_OFF_WEIGHTS,
        help="retrieval weights to train, comma-separated, each from 0 (rating only) to 1 (retrieval only); "
        "default: " + ",".join(f"{w:g}" for w in TRADE_OFF_WEIGHTS),
    )

    from recexplore.families import family_names

    tune = sub.add_parser("tune", help="sweep a family's settings on Ray Tune (validation split of the training part)")
    tune.add_argument("kind", choices=family_names(), help="the model family")
    tune.add_argument("--preset", help="the preset the trials start from (default: the family's first)")
    tune.add_argument("--set", action="append", metavar="NAME=VALUE", help="hold a setting fixed (repeatable)")
    tune.add_argument(
        "--space",
        action="append",
        metavar="NAME=SPEC",
        help="sweep a setting: log:LOW:HIGH, uniform:LOW:HIGH, int:LOW:HIGH or choice:A|B (repeatable; "
        "added to, or replacing, the family's own space)",
    )
    tune.add_argument("--trials", type=_positive_int, default=8, help="settings to try (default 8)")
    tune.add_argument(
        "--search",
        choices=SEARCHES,
        default=SEARCHES[0],
        help="how the next settings are chosen: tpe (Optuna's TPE after a few random trials; default) or random",
    )
    tune.add_argument("--time-budget", type=_positive_float, metavar="S", help="start no trial after S seconds")
    _add_source_options(tune)
    tune.add_argument("--split", help="the split (default: the family's; the sweep reads its training part only)")
    tune.add_argument("--seed", type=_seed, default=42, help="split, sampler and training seed (default 42)")
    tune.add_argument("--models-dir", metavar="DIR", help="the registry whose .sweeps/ keeps the record")
    tune.add_argument("--no-test", action="store_true", help="skip training the best and the preset on the whole part")
    tune.add_argument(
        "--keep",
        metavar="NAME",
        help="keep the best settings as preset NAME for this data set (`train --preset NAME`, the Train page)",
    )
    tune.add_argument("--json", action="store_true", help="print one JSON object as the last line")

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
    _add_index_options(rec)
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
