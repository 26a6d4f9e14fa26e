"""RecExplore: deep recommenders on MovieLens (100K to 25M ratings), explored lesson by lesson.

The library reads top-down in stages; each stage imports only the stages before it (the layering
test, tests/test_layers.py, holds every import to this, function-local ones included):

    config      settings, bounds, the memory cost model, message wording (no Keras)
    families    the one table of model families and tasks
    data        sources, locate and download, parse (+ cache), every split, features, batches, synth
    models      one module per family, shared layers, the peers as models (popularity, biases,
                EASE, transitions) and the score rows they all produce
    evaluation  accuracy, list metrics, slices, next-item, significance, peers' reports,
                comparisons, the one metric table
    training    one trainer per task and the one pipeline every caller runs
    serving     recommend, cold start, next movie, architecture, feature interactions
    store       the model registry (atomic, signed), manifests, schema, workspaces (no Ray)
    engine      Ray: the cluster, training jobs, workers, their settings
    cli, app    the command line and the Streamlit side, on top of everything

Each package re-exports its public names lazily (`lazy_exports`): `from recexplore.data import
load_movielens` imports `recexplore.data.movielens` only then, so no stage pays for another's imports.
"""

from __future__ import annotations

import importlib
import os as _os
from collections.abc import Callable, Mapping
from typing import Any

# Quiet TensorFlow's C++ start-up logging unless the user chose otherwise.
for _key, _value in (("TF_CPP_MIN_LOG_LEVEL", "3"), ("ABSL_MIN_LOG_LEVEL", "3"), ("TF_ENABLE_ONEDNN_OPTS", "0")):
    _os.environ.setdefault(_key, _value)

__version__ = "0.1.0"


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A package's module `__getattr__` (PEP 562) that imports `package.<module>` the first time one
    of its public names is asked for; `exports` maps each name to the module that holds it."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{exports[name]}"), name)

    return __getattr__
