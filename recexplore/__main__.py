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

code = main()
try:
    sys.stdout.flush()
    sys.stderr.flush()
except BrokenPipeError:  # `... | head` stopped reading: nothing left to say, and not an error
    pass
# Skip interpreter teardown (TensorFlow's takes over a second); everything the
# command wrote is already flushed and fsynced.
os._exit(code)
