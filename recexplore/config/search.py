"""Search spaces for sweeps, as plain data: how a setting is swept (log-uniform, uniform, whole numbers
or choices), checked against the setting's own rule, and how a person types one (`--space`).

A family declares the settings worth sweeping on its declaration (`ModelFamily.space`); a sweep reads
them, narrowed or widened by `--space name=spec`, and the engine turns them into Ray Tune's samplers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from recexplore.config.settings import Bound, parse_layers

SEARCHES = ("tpe", "random")  # how a sweep picks settings: Optuna's TPE (the default), or at random
TPE_RANDOM_SHARE = 1 / 3  # of a TPE sweep's trials, the first (at most 10) are random: TPE's start


@dataclass(frozen=True)
class LogUniform:
    """A positive number drawn uniformly on a log scale: rates, penalties, temperatures."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not (0 < self.low < self.high and math.isfinite(self.high)):
            raise ValueError(f"a log-uniform range needs 0 < low < high, got {self.low:g}..{self.high:g}")

    def ends(self) -> tuple[Any, ...]:
        """The values a setting's rule must allow for this range to be valid."""
        return (self.low, self.high)

    def describe(self) -> str:
        return f"log:{self.low:g}:{self.high:g}"


@dataclass(frozen=True)
class Uniform:
    """A number drawn uniformly between two ends: dropout, mixing weights."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"a uniform range needs low < high, got {self.low:g}..{self.high:g}")

    def ends(self) -> tuple[Any, ...]:
        return (self.low, self.high)

    def describe(self) -> str:
        return f"uniform:{self.low:g}:{self.high:g}"


@dataclass(frozen=True)
class IntRange:
    """A whole number drawn uniformly from low to high, both included: layer counts, lengths."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if not (isinstance(self.low, int) and isinstance(self.high, int) and self.low < self.high):
            raise ValueError(f"a whole-number range needs whole low < high, got {self.low}..{self.high}")

    def ends(self) -> tuple[Any, ...]:
        return (self.low, self.high)

    def describe(self) -> str:
        return f"int:{self.low}:{self.high}"


@dataclass(frozen=True)
class Choice:
    """One of a few values: widths, layer lists, objectives."""

    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        if len(self.values) < 1:
            raise ValueError("a choice needs at least one value")

    def ends(self) -> tuple[Any, ...]:
        return self.values

    def describe(self) -> str:
        shown = [",".join(map(str, v)) if isinstance(v, tuple) else str(v) for v in self.values]
        return "choice:" + "|".join(shown)


Dimension = LogUniform | Uniform | IntRange | Choice
KINDS = ("log", "uniform", "int", "choice")


def allowed(rule: Mapping[str, Any], value: Any) -> bool:
    """Whether a setting's rule (`config.settings.setting`) allows `value`."""
    if rule.get("layers"):
        return isinstance(value, tuple) and (bool(value) or rule["layers"] == "any")
    if rule.get("choices") is not None:
        return value in rule["choices"]
    bound: Bound | None = rule.get("bound")
    if bound is not None:
        return bound.allows(value)
    return isinstance(value, bool)


def check_dimension(name: str, dimension: Dimension, rule: Mapping[str, Any]) -> None:
    """Refuse, in one line naming the setting, a range or choice its rule does not allow."""
    if isinstance(dimension, IntRange) and not (rule.get("bound") is not None and rule["bound"].integer):
        raise ValueError(f"{name} is not a whole-number setting: sweep it with log:, uniform: or choice:")
    if isinstance(dimension, (LogUniform, Uniform)) and (rule.get("bound") is None or rule["bound"].integer):
        raise ValueError(f"{name} is not a real-number setting: sweep it with int: or choice:")
    for value in dimension.ends():
        if not allowed(rule, value):
            bound = rule.get("bound")
            must = bound.describe() if bound is not None else "one of its values"
            raise ValueError(f"{name} must be {must}, and {dimension.describe()} goes to {value!r}")


def parse_dimension(name: str, text: str, rule: Mapping[str, Any]) -> Dimension:
    """A dimension typed by a person: 'log:1e-4:1e-2', 'uniform:0:0.5', 'int:1:4', 'choice:32|64' (a
    layer list's choices: 'choice:32|64,32'); checked against the setting's rule."""
    kind, _, rest = str(text).partition(":")
    if kind not in KINDS or not rest:
        raise ValueError(f"--space {name}: write {' | '.join(k + ':...' for k in KINDS)}, got {text!r}")
    parse = _value_parser(name, rule)
    try:
        if kind == "choice":
            dimension: Dimension = Choice(tuple(parse(v.strip()) for v in rest.split("|")))
        else:
            low, sep, high = rest.partition(":")
            if not sep:
                raise ValueError(f"--space {name}: {kind} needs LOW:HIGH, got {text!r}")
            number: Callable[[str], Any] = int if kind == "int" else float
            made = {"log": LogUniform, "uniform": Uniform, "int": IntRange}[kind]
            dimension = made(number(low), number(high))
    except ValueError as err:
        message = str(err)
        raise ValueError(message if message.startswith("--space") else f"--space {name}: {message}") from None
    check_dimension(name, dimension, rule)
    return dimension


def parse_value(name: str, text: str, rule: Mapping[str, Any]) -> Any:
    """One value of the setting `name` typed by a person (`--set name=value`), as the setting holds it."""
    try:
        return _value_parser(name, rule)(str(text).strip())
    except ValueError as err:
        message = str(err)
        raise ValueError(message if message.startswith(name) else f"--set {name}: {message}") from None


def _value_parser(name: str, rule: Mapping[str, Any]) -> Callable[[str], Any]:
    """How one typed value of the setting `name` is read."""
    if rule.get("layers"):
        return lambda text: parse_layers(text, name, allow_empty=rule["layers"] == "any")
    if rule.get("choices") is not None:
        return str
    bound = rule.get("bound")
    if bound is None:
        return _bool
    return int if bound.integer else float


def _bool(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError(f"write true or false, got {text!r}")
    return text.lower() == "true"
