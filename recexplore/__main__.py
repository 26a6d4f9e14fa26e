"""`python -m recexplore`: the command-line interface."""

import os
import sys

from recexplore.cli.main import main

code = main()
try:
    sys.stdout.flush()
    sys.stderr.flush()
except BrokenPipeError:  # `... | head` stopped reading: nothing left to say, and not an error
    pass
# Skip interpreter teardown (TensorFlow's takes over a second); everything the
# command wrote is already flushed and fsynced.
os._exit(code)
