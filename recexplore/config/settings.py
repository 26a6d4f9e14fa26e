"""Settings with their rules: `Bound`, `setting`, `ConfigDict` (frozen, validated configs), layer lists.

Plain Python: widgets and the CLI read a setting's help, bound and choices from here; no Keras."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar, TypeVar

_C = TypeVar("_C", bound="ConfigDict")


MAX_LAYER_WIDTH = 4096


MAX_LAYERS = 8


MAX_EMBEDDING_DIM = 1024


MAX_BATCH_SIZE = 1 << 16


MAX_EPOCHS = 1000


@dataclass(frozen=True)
class Bound:
    """The allowed range of a numeric setting: the config checks it, widgets and the CLI read it."""

    low: float
    high: float
    integer: bool = False
    open_low: bool = False  # low itself is not allowed (a positive number)
    open_high: bool = False

    def describe(self) -> str:
        """'an integer from 1 to 1024', 'a number in (0, 10]'."""
        if self.integer:
            return f"an integer from {self.low + (1 if self.open_low else 0):g} to {self.high:g}"
        return f"a number in {'(' if self.open_low else '['}{self.low:g}, {self.high:g}{')' if self.open_high else ']'}"

    def allows(self, value: Any) -> bool:
        """True when `value` has the right type (bools refused) and lies in the range."""
        kinds = (int,) if self.integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
            return False
        above = value > self.low if self.open_low else value >= self.low
        below = value < self.high if self.open_high else value <= self.high
        return above and below

    @property
    def smallest(self) -> float:
        """The least value a widget should offer (a step above an open low end)."""
        if not self.open_low:
            return self.low
        return self.low + 1 if self.integer else self.low + 1e-4


EMBEDDING_DIM = Bound(0, MAX_EMBEDDING_DIM, integer=True, open_low=True)


BATCH_SIZE = Bound(0, MAX_BATCH_SIZE, integer=True, open_low=True)


EPOCHS = Bound(0, MAX_EPOCHS, integer=True, open_low=True)


LEARNING_RATE = Bound(0.0, 10.0, open_low=True)


def setting(
    default: Any,
    help: str,
    bound: Bound | None = None,
    choices: tuple[str, ...] | None = None,
    layers: str | None = None,
    explain: str | None = None,
) -> Any:
    """A config field with its meaning and its rule: a numeric `bound`, `choices`, or
    `layers` ('one or more' / 'any') for a list of layer widths; none of these: a bool.
    `explain` is a longer sentence for the Train page's tooltip."""
    rule = {"help": help, "bound": bound, "choices": choices, "layers": layers, "explain": explain}
    return field(default=default, metadata=rule)


class ConfigDict:
    """Frozen config dataclasses whose fields carry their own rules (`setting`): one check,
    one wording, and to_dict/from_dict (tuples stored as JSON lists, unknown keys refused)."""

    # Settings added after models were saved with this config: the value those models were
    # trained with, which `from_saved` gives them in place of today's default.
    SAVED_BEFORE: ClassVar[dict[str, Any]] = {}

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            rule, value = f.metadata, getattr(self, f.name)
            if rule.get("layers"):
                widths = check_layers(f.name, value, allow_empty=rule["layers"] == "any")
                object.__setattr__(self, f.name, widths)
            elif rule.get("bound") is not None and not rule["bound"].allows(value):
                raise ValueError(f"{f.name} must be {rule['bound'].describe()}, got {value!r}")
            elif rule.get("choices") is not None and value not in rule["choices"]:
                raise ValueError(f"{f.name} must be one of {', '.join(rule['choices'])}, got {value!r}")
            elif rule and rule.get("bound") is None and not rule.get("choices") and not isinstance(value, bool):
                raise ValueError(f"{f.name} must be true or false, got {value!r}")

    @classmethod
    def rule(cls, name: str) -> Mapping[str, Any]:
        """The field's help text and rule (bound, choices or layers)."""
        return next(f.metadata for f in fields(cls) if f.name == name)  # type: ignore[arg-type]

    @classmethod
    def bound(cls, name: str) -> Bound:
        """The numeric range of field `name`."""
        return cls.rule(name)["bound"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[_C], payload: Mapping[str, Any]) -> _C:
        """Inverse of `to_dict`; a key that is not a setting is refused with its name."""
        known = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        unknown = sorted(set(payload) - set(known))
        if unknown:
            raise ValueError(f"unknown {cls.__name__} setting {unknown[0]!r} (settings: {', '.join(known)})")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in payload.items()})

    @classmethod
    def from_saved(cls: type[_C], payload: Mapping[str, Any]) -> _C:
        """`from_dict` for a config saved with a model: a setting added since the model was saved
        takes the value it was trained with (`SAVED_BEFORE`), not today's default."""
        return cls.from_dict({**cls.SAVED_BEFORE, **payload})


def whole_config(config_cls: type[ConfigDict], saved: Mapping[str, Any]) -> dict[str, Any]:
    """A saved model's constructor arguments with its settings as one `config_cls`: either the
    'model_config' dict, or (saved before the config was whole) the flat arguments that are
    settings; settings it did not save take the config's defaults (they only affect training)."""
    saved = dict(saved)
    settings = saved.pop("model_config", None)
    if settings is None:
        names = {f.name for f in fields(config_cls)}  # type: ignore[arg-type]
        settings = {k: saved.pop(k) for k in list(saved) if k in names}
    return {"model_config": config_cls.from_saved(settings), **saved}


def check_layers(name: str, value: Any, allow_empty: bool = False) -> tuple[int, ...]:
    """Validate a list of layer widths and return it as a tuple of ints."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a sequence of positive integers, got {value!r}")
    widths = tuple(value)
    if not widths and not allow_empty:
        raise ValueError(f"{name} must name at least one layer width, got {value!r}")
    if len(widths) > MAX_LAYERS:
        raise ValueError(f"{name} may have at most {MAX_LAYERS} layers, got {len(widths)}")
    for width in widths:
        if isinstance(width, bool) or not isinstance(width, int) or not 0 < width <= MAX_LAYER_WIDTH:
            raise ValueError(f"{name} widths must be integers in 1..{MAX_LAYER_WIDTH}, got {value!r}")
    return widths


def parse_layers(text: str, name: str = "layers", allow_empty: bool = False) -> tuple[int, ...]:
    """Layer widths typed by a person ('64,32', '64; 32'): the one parser of the CLI and the pages.

    Only ASCII digits count ('²' or '٣' are refused, not passed to int()), and a width too long
    to be in range is refused before it is converted, so every message is one clear line.
    """
    text = str(text).replace(";", ",").strip()
    if not text:
        if allow_empty:
            return ()
        raise ValueError(f"{name} must name at least one layer width, e.g. 64,32")
    parts = [p.strip() for p in text.split(",")]
    if any(not (p.isascii() and p.isdigit()) for p in parts):
        typed = text if len(text) <= 40 else text[:40] + "..."
        raise ValueError(f"{name} must be comma-separated whole numbers such as 64,32, got {typed!r}")
    for part in parts:
        if len(part.lstrip("0")) > len(str(MAX_LAYER_WIDTH)) or not 0 < int(part) <= MAX_LAYER_WIDTH:
            shown = part if len(part) <= 12 else part[:12] + "..."
            raise ValueError(f"{name}: each width must be from 1 to {MAX_LAYER_WIDTH}, got {shown}")
    return check_layers(name, [int(p) for p in parts], allow_empty=allow_empty)
