"""Preparing a data set in one click: which models make every lesson page work, and their names.

The plan is what `python -m recexplore pretrain` writes for the shipped data set, read from the
one place that says it (`families.pretrained_entries`: each family's `pretrained` entries and
their presets): for every entry, its family, the preset it trains with and the name it is saved
under for the data set in use. The lesson pages look a model up by the entry's name
(`find_entry`), so the plan names exactly what they look for.

Decisions:
- Names: on the shipped data set (ML-100K) an entry keeps its own name ('dlrm-default'); on any
  other it carries the data set's name ('dlrm-default-ml-1m'), so a folder can hold the defaults of
  several data sets, a workspace's own never collide with the shared ones (a shared entry hides an
  own one of the same name) and preparing one data set never replaces another's. `find_entry`
  accepts both spellings, the data set's own first: an operator who ran `pretrain` into a models
  folder of that data set's own is found too.
- Presets: the newest preset kept for the data set by a sweep (`store.data_presets`) whose base is
  the entry's built-in preset trains that entry as tuned (its epochs as tuned); the others train
  their built-in preset with its epochs sized for the data set (`families.sized_epochs`), as
  `train` does.
- Split and seed: each family's default split ('random', or the time-ordered one next-movie
  models need) and seed 42, as `pretrain` uses.

No Ray and no Streamlit here: `preparation.py` runs the plan as jobs, the app draws it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recexplore.data.sources import DEFAULT_DATASET
from recexplore.families import family, pretrained_entries, sized_epochs
from recexplore.training.request import TrainRequest

SEED = 42  # as `pretrain`'s default


@dataclass(frozen=True)
class PlannedModel:
    """One model of the plan.

    Attributes:
        entry: the pretrained entry it stands for ('towers-1-layer').
        name: the name it is saved under for this data set ('towers-1-layer-ml-1m').
        kind: its family.
        preset: the built-in preset, or the name of the preset kept for this data set.
        tuned: whether `preset` is a preset kept for this data set by a sweep.
        config: the family config it trains with.
        split: the split it trains on.
    """

    entry: str
    name: str
    kind: str
    preset: str
    tuned: bool
    config: Any
    split: str

    @property
    def label(self) -> str:
        """'towers-1-layer-ml-1m: two-tower 1-layer, 5 epochs (tuned)': a job's and a row's label."""
        tuned = f" (tuned preset {self.preset})" if self.tuned else ""
        return f"{self.name}: {family(self.kind).label(self.config)}{tuned}"

    def request(self, seed: int = SEED) -> TrainRequest:
        """The training job that makes it."""
        return TrainRequest(self.kind, self.config, self.split, seed, label=f"prepare {self.label}", preset=self.preset)


def entry_name(entry: str, dataset: str) -> str:
    """The name a pretrained entry is saved under for `dataset` (its own name on the shipped one)."""
    return entry if dataset == DEFAULT_DATASET else f"{entry}-{dataset}"


def entry_names(entry: str, dataset: str) -> tuple[str, ...]:
    """Every name a page accepts for `entry` on `dataset`, the data set's own first."""
    own = entry_name(entry, dataset)
    return (own,) if own == entry else (own, entry)


def find_entry(entry: str, dataset: str, names: Iterable[str]) -> str | None:
    """The name among `names` (models listed for `dataset`) that stands for `entry`, or None."""
    listed = set(names)
    return next((name for name in entry_names(entry, dataset) if name in listed), None)


def kept_preset(kind: str, preset: str, fingerprint: str, models_dirs: Iterable[str | Path | None]) -> Any:
    """The newest preset kept for this data set whose base is `preset`, or None."""
    from recexplore.store.data_presets import presets_for

    base_default = family(kind).default_preset
    return next(
        (p for p in presets_for(kind, fingerprint, models_dirs) if (p.base or base_default) == preset),
        None,
    )


def plan(data: Any, models_dirs: Iterable[str | Path | None] = (None,)) -> list[PlannedModel]:
    """Every model that prepares `data` (a parsed data set: its name, fingerprint and ratings), in
    the family table's order; `models_dirs` are where kept presets are looked for."""
    folders = list(models_dirs)
    planned = []
    for entry, (kind, preset) in pretrained_entries().items():
        fam = family(kind)
        kept = kept_preset(kind, preset, data.fingerprint, folders)
        if kept is not None:
            config, name, tuned = kept.config(), kept.name, True
        else:
            config = fam.make_config(preset)
            config = dataclasses.replace(config, epochs=sized_epochs(config.epochs, len(data.ratings)))
            name, tuned = preset, False
        planned.append(
            PlannedModel(entry, entry_name(entry, data.dataset), kind, name, tuned, config, fam.default_split)
        )
    return planned


def missing(planned: Iterable[PlannedModel], dataset: str, names: Iterable[str]) -> list[PlannedModel]:
    """The planned models with no loadable model under either of their names among `names` (the
    models listed for `dataset`)."""
    listed = set(names)
    return [p for p in planned if find_entry(p.entry, dataset, listed) is None]


def name_problem(model: PlannedModel, dataset: str, existing: Any) -> str | None:
    """Why `model` cannot be saved under its name where `existing` (a registry `Entry` of that name,
    or None) is, or None: a broken entry or one of the same data set is replaced, a model of
    another data set never is."""
    if existing is None or not existing.ok:
        return None
    other = existing.meta.get("dataset", DEFAULT_DATASET)
    if other == dataset:
        return None
    return f"{model.name!r} already holds a model of {other}, which preparing {dataset} does not replace."
