"""The schema of an entry's `meta.json`, checked before anything uses it (bounded depth, types, kinds)."""

from __future__ import annotations

import math
from typing import Any

from recexplore.data.sources import NAMES
from recexplore.families import family_names

MAX_DEPTH = 6  # meta -> history -> epoch -> value is 3 deep; vocab lists 3
MAX_HISTORY = 10_000
MAX_VOCAB = 1_000_000
_VOCAB_KEYS = {
    "user_ids": int,
    "movie_ids": int,
    "occupations": str,
    "zip_regions": str,
    "title_tokens": str,
    "genres": str,
    "genders": str,
    "age_buckets": int,
}
# Top-level key -> the check of its value. Unknown keys are refused by name.
_REQUIRED = (
    "format_version",
    "name",
    "kind",
    "config",
    "vocab",
    "data_fingerprint",
    "split",
    "seed",
    "metrics",
    "history",
    "params",
)


class MetaError(ValueError):
    """meta.json does not follow the schema (one line naming the field)."""


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _integer(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int)


def _depth(value: Any) -> int:
    """Nesting depth, walked without recursion (a hostile file cannot exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        if isinstance(node, dict):
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level + 1) for v in node)
    return deepest


def _numbers(name: str, value: Any) -> None:
    if not isinstance(value, dict) or not all(isinstance(k, str) and _number(v) for k, v in value.items()):
        raise MetaError(f"meta.json: {name} must map names to finite numbers")


def _strings(name: str, value: Any) -> None:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise MetaError(f"meta.json: {name} must map names to strings")


def _config(value: Any) -> None:
    """Shallow: names to scalars or lists of integers (the config class checks ranges at load time)."""
    scalar = (str, int, float, bool)
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and (isinstance(v, scalar) or (isinstance(v, list) and all(_integer(x) for x in v)))
        for k, v in value.items()
    ):
        raise MetaError("meta.json: config must map names to numbers, strings or lists of integers")


def _vocab(value: Any) -> None:
    if not isinstance(value, dict) or set(value) != set(_VOCAB_KEYS):
        raise MetaError(f"meta.json: vocab must hold exactly {', '.join(sorted(_VOCAB_KEYS))}")
    for key, kind in _VOCAB_KEYS.items():
        items = value[key]
        ok = _integer if kind is int else lambda x: isinstance(x, str)
        if not isinstance(items, list) or len(items) > MAX_VOCAB or not all(ok(x) for x in items):
            raise MetaError(f"meta.json: vocab {key} must be a list of {kind.__name__}s")
        if len(set(items)) != len(items):
            raise MetaError(f"meta.json: vocab {key} has duplicates")


def _history(value: Any) -> None:
    if not isinstance(value, list) or len(value) > MAX_HISTORY:
        raise MetaError(f"meta.json: history must be a list of at most {MAX_HISTORY} epochs")
    for epoch in value:
        _numbers("each history epoch", epoch)


def check(meta: Any) -> dict[str, Any]:
    """Return `meta` when it follows the schema; MetaError naming the first problem otherwise."""
    if not isinstance(meta, dict):
        raise MetaError("meta.json is not an object")
    if _depth(meta) > MAX_DEPTH:
        raise MetaError(f"meta.json is nested deeper than {MAX_DEPTH} levels")
    missing = [k for k in _REQUIRED if k not in meta]
    if missing:
        raise MetaError(f"meta.json lacks {missing[0]!r}")
    unknown = sorted(set(meta) - set(_CHECKS))
    if unknown:
        raise MetaError(f"meta.json has an unknown field {unknown[0]!r}")
    if meta["kind"] not in family_names():
        raise MetaError(f"meta.json: unknown model kind {meta['kind']!r}")
    for key, check_value in _CHECKS.items():
        if key in meta:
            check_value(meta[key])
    return meta


def _is(name: str, test: Any, what: str) -> Any:
    def run(value: Any) -> None:
        if not test(value):
            raise MetaError(f"meta.json: {name} must be {what}")

    return run


_CHECKS = {
    "format_version": _is("format_version", _integer, "an integer"),
    "name": _is("name", lambda v: isinstance(v, str) and len(v) <= 64, "a name"),
    "kind": _is("kind", lambda v: isinstance(v, str), "a string"),
    "config": _config,
    "vocab": _vocab,
    "data_fingerprint": _is("data_fingerprint", lambda v: isinstance(v, str) and len(v) <= 128, "a string"),
    "dataset": _is("dataset", lambda v: v in NAMES, f"one of {', '.join(NAMES)}"),
    "split": _is(
        "split",
        lambda v: (
            isinstance(v, dict)
            and all(isinstance(k, str) and isinstance(x, (str, int)) and not isinstance(x, bool) for k, x in v.items())
        ),
        "a map of names to strings or integers",
    ),
    "seed": _is("seed", lambda v: _integer(v) and 0 <= v < 2**32, "an integer from 0 to 2**32-1"),
    "metrics": lambda v: _numbers("metrics", v),
    "history": _history,
    "params": _is("params", lambda v: _integer(v) and v >= 0, "a non-negative integer"),
    "train_seconds": _is("train_seconds", lambda v: _number(v) and v >= 0, "a non-negative number"),
    "device": _is("device", lambda v: isinstance(v, str) and len(v) <= 200, "a short string"),
    "created": _is("created", lambda v: isinstance(v, str) and len(v) <= 64, "a timestamp"),
    "versions": lambda v: _strings("versions", v),
}
