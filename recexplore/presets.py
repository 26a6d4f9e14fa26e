"""The model kinds and their presets, in one table: names, tower depths, pretrained entries,
curves, and what each page picks first. Plain data (no Keras), so the CLI and pages read it
without importing a backend; the config classes hold every setting's default and bound."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelKind:
    """One kind of model: how people call it, its curves, its pretrained entries."""

    name: str  # 'dlrm' or 'towers': the registry's and the CLI's word
    title: str  # as the Train page offers it
    curves: tuple[str, ...]  # the history keys of its quality chart
    loss_curves: tuple[str, ...]
    default_entry: str  # the pretrained entry pages pick first (and the CLI recommends with)


TOWER_PRESETS: dict[str, tuple[int, ...]] = {"1-layer": (32,), "2-layer": (64, 32), "3-layer": (128, 64, 32)}
# How each depth trains where it differs from TowerConfig's defaults, chosen per depth on
# validation slices of the fold training parts (bench/tune.py): deeper towers want a lower
# learning rate and more epochs. Without it Compare would rank the depths by one depth's tuning.
PRESET_TRAINING: dict[str, dict[str, Any]] = {
    "2-layer": {"learning_rate": 5e-3},
    "3-layer": {"learning_rate": 5e-3, "epochs": 7},
}
# The order the three are queued in: the deepest (longest) first, so on two cores the other two
# train one after the other beside it, and the three take as long as two 5-epoch jobs.
SUBMIT_ORDER: tuple[str, ...] = tuple(reversed(TOWER_PRESETS))


def preset_settings(preset: str) -> dict[str, Any]:
    """A tower preset's TowerConfig settings: its layers and how that depth trains."""
    if preset not in TOWER_PRESETS:
        raise ValueError(f"preset must be one of {', '.join(TOWER_PRESETS)}, got {preset!r}")
    return {"layers": TOWER_PRESETS[preset], **PRESET_TRAINING.get(preset, {})}


def preset_of(layers: tuple[int, ...]) -> str | None:
    """The preset with these layer widths, if any."""
    return next((p for p, widths in TOWER_PRESETS.items() if widths == tuple(layers)), None)


def tower_entry(preset: str) -> str:
    """The pretrained entry of a tower preset: 'towers-1-layer'."""
    return f"towers-{preset}"


DLRM_ENTRY = "dlrm-default"
KINDS: dict[str, ModelKind] = {
    "dlrm": ModelKind(
        "dlrm", "DLRM (rating prediction)", ("rmse", "test_rmse", "val_rmse"), ("loss", "val_loss"), DLRM_ENTRY
    ),
    "towers": ModelKind(
        "towers", "Two-tower (retrieval)", ("hit_rate_at_10", "hit_rate_at_100"), ("loss",), tower_entry("1-layer")
    ),
}
PRESET_ENTRIES: dict[str, str] = {preset: tower_entry(preset) for preset in TOWER_PRESETS}
# What `pretrain` writes: entry -> (kind, the settings that differ from the kind's defaults).
PRETRAINED: dict[str, tuple[str, dict[str, Any]]] = {
    DLRM_ENTRY: ("dlrm", {}),
    **{entry: ("towers", preset_settings(preset)) for preset, entry in PRESET_ENTRIES.items()},
}


def kind_of(name: str) -> ModelKind:
    """The kind called `name`, or ValueError naming the kinds there are."""
    if name not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {name!r}")
    return KINDS[name]


def config_class(kind: str) -> type:
    """The config dataclass of a kind (imported on use: it brings Keras with the model code)."""
    kind_of(kind)
    if kind == "dlrm":
        from recexplore.models.dlrm import DLRMConfig

        return DLRMConfig
    from recexplore.models.towers import TowerConfig

    return TowerConfig
