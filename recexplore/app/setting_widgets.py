"""One widget per config setting, drawn from the setting's own rule (bound, choices, layers, bool):
the Train page's family-specific controls, so a new family's settings need no page code."""

from __future__ import annotations

from typing import Any

from recexplore.config.settings import Bound, parse_layers

SLIDER_HIGH = 0.9  # a rate in [0, 1) (dropout) is offered up to this on a slider


def widget_label(rule: dict[str, Any]) -> str:
    """The setting's help text as a label: 'Dropout in the top MLP'."""
    text = str(rule["help"])
    return text[:1].upper() + text[1:]


def float_step(bound: Bound, default: float) -> float:
    """A step for a float setting's number input: 0.05 on a [0, 1] scale, else a quarter of the default."""
    if bound.high <= 1:
        return 0.05
    return float(default) / 4 if default else 0.1


def setting_widget(column: Any, config_cls: Any, name: str, default: Any, key: str) -> Any:
    """Draw the widget for setting `name` of `config_cls` in `column` (a Streamlit container) and
    return its value; a layers text that does not parse raises ValueError with the one line."""
    rule = dict(config_cls.rule(name))
    label, help_ = widget_label(rule), rule.get("explain")
    if rule.get("layers"):
        text = column.text_input(f"{label} (comma-separated)", ",".join(map(str, default)), key=key, help=help_)
        return parse_layers(text, str(rule["help"]), allow_empty=rule["layers"] == "any")
    if rule.get("choices"):
        choices = list(rule["choices"])
        return column.selectbox(label, choices, index=choices.index(default), key=key, help=help_)
    bound = rule.get("bound")
    if bound is None:
        return bool(column.checkbox(label, value=bool(default), key=key, help=help_))
    if bound.integer:
        return int(
            column.number_input(
                label,
                min_value=int(bound.smallest),
                max_value=int(bound.high),
                value=int(default),
                step=1,
                key=key,
                help=help_,
            )
        )
    if bound.high <= 1 and bound.open_high:  # a rate: a slider reads better
        return float(column.slider(label, float(bound.low), SLIDER_HIGH, float(default), 0.05, key=key, help=help_))
    return float(
        column.number_input(
            label,
            min_value=bound.smallest,
            max_value=bound.high,
            value=float(default),
            step=float_step(bound, default),
            key=key,
            help=help_,
        )
    )
