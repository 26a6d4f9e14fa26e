"""`python -m recexplore`: the command-line interface."""

import os
import sys

from recexplore.cli import main

code = main()
sys.stdout.flush()
sys.stderr.flush()
# Skip interpreter teardown (TensorFlow's takes over a second); everything the
# command wrote is already flushed and fsynced.
os._exit(code)
