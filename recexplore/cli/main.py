"""The CLI's entry point: `main(argv)` parses, runs the command from COMMANDS and maps errors to exit codes."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from recexplore.cli.compare_commands import cmd_compare_rankers, cmd_compare_towers
from recexplore.cli.data_commands import cmd_data, cmd_folds, cmd_synth
from recexplore.cli.model_commands import cmd_models, cmd_recommend
from recexplore.cli.multitask_commands import cmd_compare_multitask
from recexplore.cli.output import EXIT_FAILURE, EXIT_USAGE, EngineJobError, UsageError
from recexplore.cli.parser import build_parser
from recexplore.cli.train_commands import cmd_pretrain, cmd_train
from recexplore.cli.tune_commands import cmd_tune


def main(argv: Sequence[str] | None = None, started_at: float | None = None) -> int:
    """Run the CLI; returns the process exit code. `started_at` (epoch seconds): when the process
    started, where the commands' `wall_seconds` count from (their own start when None)."""
    from recexplore.data.movielens import DataError
    from recexplore.engine.cluster import EngineError
    from recexplore.store.entry_format import RegistryError

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(with_families=argv[:1] == ["train"]).parse_args(argv)
    except UsageError as err:
        print(f"recexplore: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    args.started_at = started_at
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


COMMANDS = {
    "synth": cmd_synth,
    "data": cmd_data,
    "folds": cmd_folds,
    "train": cmd_train,
    "compare-towers": cmd_compare_towers,
    "compare-rankers": cmd_compare_rankers,
    "compare-multitask": cmd_compare_multitask,
    "recommend": cmd_recommend,
    "models": cmd_models,
    "pretrain": cmd_pretrain,
    "tune": cmd_tune,
}
