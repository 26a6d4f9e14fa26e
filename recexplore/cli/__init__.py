"""`python -m recexplore ...`: the command line. The library returns values; this package prints.
Nothing is imported here: `bootstrap` (the set-up of `app` and `test`) must run on a bare Python.
"""

from __future__ import annotations
