"""`python -m recexplore`: the command-line interface.

`app` and `test` are the two set-up commands (`recexplore.cli.bootstrap`, standard library
only): they are dispatched before `recexplore.cli.main` imports the heavy packages, so they
work on a machine where nothing is installed yet."""

import os
import sys

if sys.argv[1:2] and sys.argv[1] in ("app", "test"):
    from recexplore.cli.bootstrap import main as set_up_and_run

    sys.exit(set_up_and_run(sys.argv[1:]))

from recexplore.cli.main import main  # noqa: E402


def _process_started() -> float | None:
    """When this process started (epoch seconds): a command's `wall_seconds` count from here, so they
    include the interpreter's and the libraries' imports, as the process's own wall time does."""
    try:
        import psutil

        return float(psutil.Process().create_time())
    except Exception:  # noqa: BLE001 - no psutil, or no /proc: the command's own clock is used
        return None


code = main(started_at=_process_started())
try:
    sys.stdout.flush()
    sys.stderr.flush()
except BrokenPipeError:  # `... | head` stopped reading: nothing left to say, and not an error
    pass
# Skip interpreter teardown (TensorFlow's takes over a second); everything the
# command wrote is already flushed and fsynced.
os._exit(code)
