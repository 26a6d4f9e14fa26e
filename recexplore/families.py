"""The model families: what a family declares (`ModelFamily`), the tasks they train for, and the
one table of families. A family is one module under recexplore/models/ ending in a `FAMILY`
declaration, and one row in `FAMILY_MODULES`; the CLI, the pages, the worker and the registry
read this table and never name a family. Plain data at import: a family's module (and with it
Keras) is imported the first time it is asked for."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from recexplore.config.metrics import METRICS, RATING_BASELINES
from recexplore.config.search import Dimension, check_dimension

# The table: family name -> the module that declares it. Its order is the order pages and the
# CLI offer the families in. Adding a family is one module and one row here.
FAMILY_MODULES: dict[str, str] = {
    "dlrm": "recexplore.models.dlrm",
    "dcn": "recexplore.models.dcn",
    "towers": "recexplore.models.towers",
    "sequential": "recexplore.models.sequential",
    "listwise": "recexplore.models.listwise",
    "multitask": "recexplore.models.multitask",
}

# Views a family can offer; pages list a model where its family offers the page's view.
CURVES = "curves"  # training curves (every family)
ARCHITECTURE = "architecture"  # the measured layer table (every family)
INTERACTIONS = "interactions"  # DotInteraction's feature-pair heatmap (Feature interactions page)
CROSS_MATRIX = "cross_matrix"  # a cross network's learned feature-pair weights (same page)
RECOMMEND = "recommend"  # top-k retrieval for a user (Recommend page)
RERANK = "rerank"  # predicted stars for a user's candidates (Recommend page's re-ranking)
MOVIE_MAP = "movie_map"  # the candidate tower's movie vectors (Movie map page)
NEXT_MOVIE = "next_movie"  # a user's watch timeline and next-movie list (Next movie page)
RETRIEVAL_INDEX = "retrieval_index"  # movie vectors served through an exact or approximate index (Catalogue scale page)


@dataclass(frozen=True)
class Task:
    """What a family's models are trained and measured for: one training loop and one metric family.

    Attributes:
        name: 'rating' (predicted stars, RMSE) or 'retrieval' (top-k lists, hit rate).
        title: the Home page's heading over this task's models.
        result_keys: the metrics every result of the task carries (`train --json` prints them).
        table_keys: the metrics the Home page's table shows.
        curves: history keys of the quality chart.
        loss_curves: history keys of the loss chart.
        curve_axis: the quality chart's axis title.
        headline: the metric a model of the task is ranked by (its direction: `config.metrics`).
        trainer: 'module:function' of its training loop, (family, data, split, config, seed,
            hooks, vocab, space) -> TrainResult (`recexplore.training`).
        evaluator: 'module:function' of a trained or loaded model's test metrics, (model, space,
            split) -> metrics, its peers measured on the same targets included.
        peers: 'module:function' of the peers measured beside a model on its split but outside its
            evaluation (data, split, seed) -> metrics (cached per split), or None.
        saved_peers: 'module:function' of the peers a page shows beside a saved model of the task,
            (data, split_name, split_seed) -> metrics or None, never an expensive fit (a cached
            report, or baselines that take a fraction of a second); None: none beyond its metrics.
        curve_peers: the `saved_peers` figures drawn as lines on the quality chart.
        sweep_metric: the metric a sweep ranks trials by, measured after every epoch on the
            validation slice (its direction: `config.metrics`).
        rebuilds_history: whether a loaded model needs its split's rated-movies history again.
        sampled_metrics: 'module:function' of a model's and its peers' full and sampled metrics
            under chosen samplings, (model, space, split, data, samplings) -> metrics; None: the
            task ranks no held-out movie (`evaluation.sampled`).
        sampled_against: the full-ranking hit rate@10 its sampled hit rate is read against.

    The behaviour is named, not imported: this table sits below every stage that carries it (as
    FAMILY_MODULES names the families' modules), and `behaviour` imports it on first use.
    """

    name: str
    title: str
    result_keys: tuple[str, ...]
    table_keys: tuple[str, ...]
    curves: tuple[str, ...]
    loss_curves: tuple[str, ...]
    curve_axis: str
    headline: str
    trainer: str
    evaluator: str
    peers: str | None = None
    saved_peers: str | None = None
    curve_peers: tuple[str, ...] = ()
    sweep_metric: str = ""
    rebuilds_history: bool = False
    sampled_metrics: str | None = None
    sampled_against: str = ""

    @property
    def higher_is_better(self) -> bool:
        """Whether a larger headline is better (the metric table's word on it)."""
        return bool(METRICS[self.headline].higher_is_better)

    def behaviour(self, role: str) -> Callable[..., Any]:
        """The function the task names for `role` ('trainer', 'evaluator', 'peers', 'saved_peers',
        'sampled_metrics')."""
        module, _, name = getattr(self, role).partition(":")
        return getattr(importlib.import_module(module), name)

    def headline_text(self, metrics: Mapping[str, Any]) -> str:
        """'test_rmse=0.8866', or 'hit_rate_at_100=0.612': one line of a model listing."""
        value = metrics.get(self.headline, float("nan"))
        return f"{self.headline}={value:.4f}" if isinstance(value, (int, float)) else f"{self.headline}=?"


RATING = Task(
    name="rating",
    title="Rating models: predicted stars",
    result_keys=("test_rmse", "test_mae", "global_mean_rmse", "bias_only_rmse"),
    table_keys=("test_rmse", "test_mae", "bias_only_rmse", "global_mean_rmse"),
    curves=("rmse", "test_rmse", "val_rmse"),
    loss_curves=("loss", "val_loss"),
    curve_axis="RMSE",
    headline="test_rmse",
    trainer="recexplore.training.rating:train_rating",
    evaluator="recexplore.evaluation.scoring:rating_metrics",
    saved_peers="recexplore.evaluation.rating_peers:split_baselines",
    curve_peers=RATING_BASELINES,
    sweep_metric="test_rmse",
    rebuilds_history=True,
)
RETRIEVAL = Task(
    name="retrieval",
    title="Retrieval models: top-k lists",
    result_keys=(
        "hit_rate_at_10",
        "hit_rate_at_100",
        "seed_top100_accuracy",
        "sampled_hit_rate_at_10",
        "sampled_ndcg_at_10",
        "sampled_pop_hit_rate_at_10",
        "sampled_pop_ndcg_at_10",
    ),
    table_keys=(
        "hit_rate_at_10",
        "hit_rate_at_100",
        "popularity_hit_rate_at_10",
        "popularity_hit_rate_at_100",
        "ease_hit_rate_at_10",
        "ease_hit_rate_at_100",
    ),
    curves=("hit_rate_at_10", "hit_rate_at_100"),
    loss_curves=("loss",),
    curve_axis="test hit-rate",
    headline="hit_rate_at_100",
    trainer="recexplore.training.retrieval:train_retrieval",
    evaluator="recexplore.evaluation.scoring:towers_metrics",
    peers="recexplore.evaluation.ease_report:cached_report",
    saved_peers="recexplore.evaluation.ease_report:saved_report",
    sweep_metric="hit_rate_at_10",
    sampled_metrics="recexplore.evaluation.sampled_scoring:retrieval_sampled",
    sampled_against="hit_rate_at_10",
)
NEXT_ITEM = Task(
    name="next_item",
    title="Next-movie models: what comes next",
    result_keys=(
        "next_hit_rate_at_10",
        "next_hit_rate_at_100",
        "next_ndcg_at_10",
        "sampled_hit_rate_at_10",
        "sampled_ndcg_at_10",
        "sampled_pop_hit_rate_at_10",
        "sampled_pop_ndcg_at_10",
    ),
    table_keys=(
        "next_hit_rate_at_10",
        "next_ndcg_at_10",
        "popularity_next_hit_rate_at_10",
        "transition_next_hit_rate_at_10",
        "ease_next_hit_rate_at_10",
    ),
    curves=("next_hit_rate_at_10", "next_hit_rate_at_100"),
    loss_curves=("loss",),
    curve_axis="next-movie hit rate",
    headline="next_hit_rate_at_10",
    trainer="recexplore.training.next_item:train_next_item",
    evaluator="recexplore.evaluation.scoring:next_item_metrics",
    sweep_metric="next_hit_rate_at_10",
    sampled_metrics="recexplore.evaluation.sampled_scoring:next_item_sampled",
    sampled_against="next_hit_rate_at_10",
)
MULTITASK = Task(
    name="multitask",
    title="Multi-task models: one model retrieves and rates",
    result_keys=(*RETRIEVAL.result_keys, "ndcg_at_10", *RATING.result_keys),
    table_keys=(
        "hit_rate_at_10",
        "hit_rate_at_100",
        "test_rmse",
        "test_mae",
        "ease_hit_rate_at_10",
        "bias_only_rmse",
    ),
    curves=("hit_rate_at_10", "hit_rate_at_100", "test_rmse"),
    loss_curves=("loss",),
    curve_axis="test hit-rate and RMSE",
    headline="hit_rate_at_10",
    trainer="recexplore.training.multitask:train_multitask",
    evaluator="recexplore.evaluation.multitask:multitask_metrics",
    peers="recexplore.evaluation.ease_report:cached_report",
    saved_peers="recexplore.evaluation.multitask:saved_peers",
    sweep_metric="hit_rate_at_10",
    sampled_metrics="recexplore.evaluation.sampled_scoring:retrieval_sampled",
    sampled_against="hit_rate_at_10",
)
TASKS: dict[str, Task] = {t.name: t for t in (RATING, RETRIEVAL, NEXT_ITEM, MULTITASK)}


@dataclass(frozen=True)
class ModelFamily:
    """Everything about one family of models, declared once in its module.

    Attributes:
        name: the registry's, the CLI's and the job's word ('dlrm').
        title: as the Train page offers it ('DLRM (rating prediction)').
        description: one line on what it is (the CLI's help, the Train page's caption).
        task: RATING or RETRIEVAL: which training loop, metrics and curves.
        config: its frozen config dataclass (defaults and bounds on its fields).
        model_class: the Keras class a saved model of the family is.
        build: (config, vocab_sizes, global_mean) -> a built Keras model.
        presets: preset name -> the settings that differ from the config's defaults.
        pretrained: registry entry -> the preset `pretrain` trains it with; the first is the
            entry pages pick first.
        views: the views it offers (CURVES, INTERACTIONS, ... above).
        options: config fields the CLI offers as flags and the Train page as widgets, beyond
            the settings every family has (epochs, batch size, learning rate, embedding dim).
        preset_of: the preset a set of settings amounts to, when the family can tell (the
            towers' layer widths); such settings then train as that preset does.
        memory_bytes: (config, vocab_sizes, train_rows) -> the training memory it needs at least.
        architecture_note: one sentence under its layer table on how it computes a score.
        label: config -> a short job label ('DLRM dim 32, 4 epochs').
        submit_order: the order its presets are queued in when trained together (the longest
            first, so the shorter ones share the other cores); default: the presets' order.
        splits: the splits its models train on, the default first (next-movie models need a
            time-ordered one); empty: any split the data offers, 'random' by default.
        space: the settings worth sweeping and how (`config.search`: log-uniform for rates and
            penalties, choices for widths and layer lists), each checked against its setting's rule.
    """

    name: str
    title: str
    description: str
    task: Task
    config: type
    model_class: type
    build: Callable[..., Any]
    presets: Mapping[str, Mapping[str, Any]]
    pretrained: Mapping[str, str]
    views: frozenset[str]
    memory_bytes: Callable[[Any, dict[str, int], int], int]
    architecture_note: str
    label: Callable[[Any], str]
    options: tuple[str, ...] = ()
    preset_of: Callable[[Mapping[str, Any]], str | None] | None = None
    submit_order: tuple[str, ...] = ()
    splits: tuple[str, ...] = ()
    space: Mapping[str, Dimension] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [p for p in self.pretrained.values() if p not in self.presets]
        if unknown:
            raise ValueError(f"family {self.name!r}: pretrained entry uses unknown preset {unknown[0]!r}")
        settings = {f.name for f in fields(self.config)}
        for name, dimension in self.space.items():
            if name not in settings:
                raise ValueError(f"family {self.name!r}: its space names {name!r}, which is not a setting")
            check_dimension(name, dimension, self.config.rule(name))

    @property
    def default_entry(self) -> str:
        """The pretrained entry pages pick first (and the CLI recommends with)."""
        return next(iter(self.pretrained))

    @property
    def queue_order(self) -> tuple[str, ...]:
        """Its presets in the order they are queued in (`submit_order`, else table order)."""
        return self.submit_order or tuple(self.presets)

    @property
    def default_split(self) -> str:
        """The split its models train on when none is asked for."""
        return self.splits[0] if self.splits else "random"

    def split_problem(self, split: str) -> str | None:
        """Why this family cannot train on `split`, or None."""
        if self.splits and split not in self.splits:
            return f"{self.title} trains on a time-ordered split ({', '.join(self.splits)}), not {split!r}"
        return None

    @property
    def default_preset(self) -> str:
        """The preset used when none is asked for."""
        return next(iter(self.presets))

    def preset_settings(self, preset: str) -> dict[str, Any]:
        """A preset's settings; ValueError naming the presets there are."""
        if preset not in self.presets:
            raise ValueError(f"preset must be one of {', '.join(self.presets)}, got {preset!r}")
        return dict(self.presets[preset])

    def make_config(self, preset: str | None = None, **overrides: Any) -> Any:
        """The config of `preset` (the default one, or the one `preset_of` recognises in the
        overrides) with `overrides` on top; an unknown setting or a value the config refuses
        raises ValueError."""
        overrides = {k: v for k, v in overrides.items() if v is not None}
        if preset is None and self.preset_of is not None:
            preset = self.preset_of(overrides)
        settings = self.preset_settings(preset or self.default_preset)
        return self.config.from_dict({**settings, **overrides})

    def offers(self, view: str) -> bool:
        """Whether the family offers `view`."""
        return view in self.views


EPOCH_RATINGS = 1_000_000  # a preset's epochs (tuned on ML-100K) hold up to this many ratings


def sized_epochs(epochs: int, n_ratings: int) -> int:
    """A preset's epochs on a data set of `n_ratings`: as set up to EPOCH_RATINGS, then fewer in
    proportion (at least one), so a default run on ML-25M sees about as many examples as on ML-1M."""
    if n_ratings <= EPOCH_RATINGS:
        return int(epochs)
    return max(1, round(epochs * EPOCH_RATINGS / n_ratings))


def family_names() -> tuple[str, ...]:
    """The names of every family, in table order (no module is imported)."""
    return tuple(FAMILY_MODULES)


def family(name: str) -> ModelFamily:
    """The family called `name` (its module imported on first use); ValueError naming the families."""
    if name not in FAMILY_MODULES:
        raise ValueError(f"model family must be one of {', '.join(FAMILY_MODULES)}, got {name!r}")
    declared = importlib.import_module(FAMILY_MODULES[name]).FAMILY
    if not isinstance(declared, ModelFamily) or declared.name != name:
        raise ValueError(f"module {FAMILY_MODULES[name]} does not declare the family {name!r}")
    return declared


def families(task: str | None = None, view: str | None = None) -> list[ModelFamily]:
    """Every family in table order, optionally only those of one task or offering one view."""
    found = [family(name) for name in FAMILY_MODULES]
    return [f for f in found if (task is None or f.task.name == task) and (view is None or f.offers(view))]


def task_presets(task: Task) -> list[tuple[ModelFamily, str]]:
    """Every (family, preset) of the families of `task`, in table order: what a comparison trains."""
    return [(f, preset) for f in families(task=task.name) for preset in f.presets]


def pretrained_entries() -> dict[str, tuple[str, str]]:
    """What `pretrain` writes: entry -> (family, preset), over every family."""
    return {entry: (f.name, preset) for f in families() for entry, preset in f.pretrained.items()}


def load_classes() -> None:
    """Import every family's module, so their Keras classes are registered before a load."""
    families()
