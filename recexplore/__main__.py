"""`python -m recexplore`: the command-line interface."""

from recexplore.cli import main

raise SystemExit(main())
