"""Hyperparameter sweeps on Ray Tune, on the same Ray the training jobs use (a local one, or the cluster).

Each trial trains through the one pipeline on the validation split of the training part only
(`data.splits.validation_split`: the test part is never read during a sweep) and reports the task's
sweep metric after every epoch, so ASHA ends weak trials early. A trial that fails is recorded with its
one-line reason and the sweep goes on. Then the best settings, and the preset beside them, are trained
on the whole training part and tested with the task's peers; the record (every trial's settings,
curve, validation metric or error, and the data set's fingerprint) is saved beside the models, in
`<models dir>/.sweeps/` (`sweep_records`).

A sweep may run in the background (`sweep_jobs`): it then feeds a live trial table
(`sweep_progress.SweepProgress`, from Tune's callbacks on the driver) and stops when its cancel event is
set. `preset_trial` makes the first trial the preset's own values of the swept settings, so its curve
can be drawn beside the best's.

How the next settings are chosen (`SEARCHES`): `tpe`, Optuna's tree-structured Parzen estimator through
Tune's `OptunaSearch` (the default: random for its first trials, then it samples where the better
trials were, which a budget of a few dozen trials needs; RecBole's and LensKit's tuners do the same),
or `random`, Tune's own random sampler. Both start from the preset's trial when there is one.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from recexplore.config.metrics import METRICS
from recexplore.config.search import SEARCHES, TPE_RANDOM_SHARE, Choice, Dimension, IntRange, LogUniform, Uniform
from recexplore.config.text import one_line
from recexplore.data.movielens import MovieLens
from recexplore.data.splits import Split, make_split, validation_split
from recexplore.engine.sweep_progress import SweepProgress, cancel_stopper, progress_callback, same_settings
from recexplore.engine.sweep_records import SWEEPS_FOLDER, write_record  # noqa: F401 - the folder's name, re-exported
from recexplore.families import ModelFamily, family

MAX_TRIALS = 1000
# Ray Tune's driver keeps process-wide state (two Tuners fitting on two threads of one process race on
# it), so one sweep drives at a time per process; another waits here (`sweep_jobs` shows it queued).
DRIVER_LOCK = threading.RLock()
FAILED = "failed"


class SweepError(ValueError):
    """A sweep that cannot start (a setting it cannot sweep, nothing to sweep); one line."""


class SweepFailed(RuntimeError):
    """A sweep none of whose trials finished; the message names their reasons in one line."""


class SweepCancelled(RuntimeError):
    """A sweep whose cancel event was set before it ended (nothing is tested or saved)."""


@dataclass(frozen=True)
class SweepRequest:
    """One sweep: a family's preset, settings held fixed, the space to search and a budget.

    Attributes:
        kind: the family.
        preset: the preset the trials start from (the family's default when None).
        fixed: settings every trial uses (`--set`), never swept.
        space: the settings to sweep and how; the family's own space when empty.
        trials: how many settings to try (at most MAX_TRIALS).
        time_budget_s: stop starting trials after this many seconds (None: no limit).
        split: the split whose training part the sweep reads, and whose test part the best is tested on.
        seed: the split's, the sampler's and every training's seed.
        concurrent: trials run at once (None: as many as the cluster has CPUs).
        preset_trial: whether the first trial runs the preset's own values of the swept settings.
        search: how the next trial's settings are chosen (one of SEARCHES).
    """

    kind: str
    preset: str | None = None
    fixed: Mapping[str, Any] = field(default_factory=dict)
    space: Mapping[str, Dimension] = field(default_factory=dict)
    trials: int = 8
    time_budget_s: float | None = None
    split: str | None = None
    seed: int = 42
    concurrent: int | None = None
    preset_trial: bool = False
    search: str = SEARCHES[0]

    def __post_init__(self) -> None:
        if self.search not in SEARCHES:
            raise SweepError(f"search must be one of {', '.join(SEARCHES)}, got {self.search!r}")
        if isinstance(self.trials, bool) or not isinstance(self.trials, int) or not 1 <= self.trials <= MAX_TRIALS:
            raise SweepError(f"trials must be a whole number from 1 to {MAX_TRIALS}, got {self.trials!r}")
        if self.time_budget_s is not None and not (math.isfinite(self.time_budget_s) and self.time_budget_s > 0):
            raise SweepError(f"the time budget must be a positive number of seconds, got {self.time_budget_s!r}")
        if self.concurrent is not None and (
            isinstance(self.concurrent, bool) or not isinstance(self.concurrent, int) or self.concurrent < 1
        ):
            raise SweepError(f"trials at once must be a whole number from 1, got {self.concurrent!r}")

    @property
    def family(self) -> ModelFamily:
        return family(self.kind)

    def searched(self) -> dict[str, Dimension]:
        """The space the trials draw from: the request's, else the family's, less the fixed settings."""
        space = dict(self.space) if self.space else dict(self.family.space)
        space = {name: dim for name, dim in space.items() if name not in self.fixed}
        if not space:
            raise SweepError(f"nothing to sweep: {self.kind} has no setting left in its space (--space adds one)")
        return space

    def config(self, params: Mapping[str, Any]) -> Any:
        """The config of one trial: the preset, the fixed settings, then the trial's draws."""
        values = {name: tuple(v) if isinstance(v, list) else v for name, v in params.items()}
        return self.family.make_config(self.preset, **{**self.fixed, **values})

    def metric(self) -> tuple[str, str]:
        """(the task's sweep metric, 'max' or 'min')."""
        name = self.family.task.sweep_metric
        return name, "max" if METRICS[name].higher_is_better else "min"

    def preset_point(self) -> dict[str, Any]:
        """The preset's (and the fixed settings') values of the swept settings, as a trial's settings."""
        preset = self.config({})
        return {name: _plain(getattr(preset, name)) for name in self.searched()}


def _plain(value: Any) -> Any:
    """A setting's value as Tune and JSON carry it (a layer tuple as a list)."""
    return list(value) if isinstance(value, tuple) else value


TUNE_LOGGERS = ("ray.tune", "ray.train", "optuna")  # their warnings are Tune's business, not a user's
_QUIET_LOCK = threading.Lock()
_QUIET: list[Any] = []  # the real stdout and log levels while any sweep runs, and how many do


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Tune's own tables out of stdout, and its warnings below ERROR out of the log, while sweeps run
    (TensorboardX missing; the metrics of a trial the budget stopped before it reported: the record says
    what matters in one line each). The first sweep swaps stdout for a sink and raises Tune's loggers,
    the last one puts both back (sweeps on several threads of a server never leave them changed)."""
    with _QUIET_LOCK:
        if not _QUIET:
            loggers = [logging.getLogger(name) for name in TUNE_LOGGERS]
            _QUIET.append((sys.stdout, [(log, log.level) for log in loggers]))
            sys.stdout = io.StringIO()
            for log in loggers:
                log.setLevel(logging.ERROR)
        _QUIET.append(None)
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _QUIET.pop()
            if len(_QUIET) == 1:
                stdout, levels = _QUIET.pop()
                sys.stdout = stdout
                for log, level in levels:
                    log.setLevel(level)


def _to_tune(value: Any) -> Any:
    """A setting's value as Tune carries it: a layer list as text ('64,32'), for Tune reads a list in a
    config as nested settings."""
    return ",".join(str(v) for v in value) if isinstance(value, (list, tuple)) else value


def decoded(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """A trial's settings as Tune gave them, with each layer list back as a list of widths."""
    rules = family(kind).config

    def value(name: str, raw: Any) -> Any:
        if isinstance(raw, str) and name in rules.__dataclass_fields__ and rules.rule(name).get("layers"):
            return [int(v) for v in raw.split(",") if v.strip()]
        return raw

    return {name: value(name, raw) for name, raw in params.items()}


def tune_space(space: Mapping[str, Dimension]) -> dict[str, Any]:
    """Ray Tune's samplers for a space (layer lists travel as text: `decoded` reads them back)."""
    from ray import tune

    def sampler(dim: Dimension) -> Any:
        if isinstance(dim, LogUniform):
            return tune.loguniform(dim.low, dim.high)
        if isinstance(dim, Uniform):
            return tune.uniform(dim.low, dim.high)
        if isinstance(dim, IntRange):
            return tune.randint(dim.low, dim.high + 1)
        return tune.choice([_to_tune(v) for v in dim.values])

    return {name: sampler(dim) for name, dim in space.items()}


def _trial(params: dict[str, Any], request: SweepRequest, data: MovieLens, split: Split) -> None:
    """One trial, in a Ray worker: train on `split` (the sweep's validation split), report the metric
    every epoch."""
    from ray import tune

    from recexplore.engine.worker import configure_threads
    from recexplore.training.pipeline import run
    from recexplore.training.trainer import ProgressHooks

    configure_threads(1)
    params = decoded(request.kind, params)
    metric, mode = request.metric()
    reported: list[float] = []

    def on_epoch(epoch: int, logs: dict[str, float]) -> None:
        if metric in logs:
            reported.append(float(logs[metric]))
            tune.report({metric: float(logs[metric]), "epoch": epoch + 1})

    try:
        hooks = ProgressHooks(on_epoch=on_epoch)
        done = run(
            request.kind, request.config(params), data=data, split=split, seed=request.seed, hooks=hooks, peers=False
        )
    except Exception as err:  # noqa: BLE001 - a trial's failure is recorded, and the sweep goes on
        worst = -math.inf if mode == "max" else math.inf
        tune.report({metric: worst, "epoch": len(reported), "error": one_line(err)})
        return
    if not reported:  # the metric is not a curve of this config (a rating model with early stopping)
        tune.report({metric: float(done.result.metrics[metric]), "epoch": len(done.result.history)})


@dataclass
class Sweep:
    """A finished sweep: every trial, the best settings, and the best and the preset on the test part."""

    request: SweepRequest
    metric: str
    mode: str
    trials: list[dict[str, Any]]
    best: dict[str, Any] | None
    tested: dict[str, dict[str, float]]
    seconds: float
    record: Path | None = None
    data_fingerprint: str = ""  # the data set the sweep read (a preset kept from it is for that data set)
    dataset: str = ""
    max_epochs: int = 0  # each trial's epochs unless ASHA ended it sooner

    def as_dict(self) -> dict[str, Any]:
        """The record: JSON-ready, what `tune --json` prints and what is saved beside the models."""
        request = self.request
        return {
            "kind": request.kind,
            "preset": request.preset or request.family.default_preset,
            "fixed": {k: list(v) if isinstance(v, tuple) else v for k, v in request.fixed.items()},
            "space": {name: dim.describe() for name, dim in request.searched().items()},
            "split": request.split or request.family.default_split,
            "seed": request.seed,
            "search": request.search,
            "data_fingerprint": self.data_fingerprint,
            "dataset": self.dataset,
            "max_epochs": self.max_epochs,
            "metric": self.metric,
            "mode": self.mode,
            "trials": self.trials,
            "failed": sum(t["status"] == FAILED for t in self.trials),
            "best": self.best,
            "tested": self.tested,
            "sweep_seconds": round(self.seconds, 3),
            **({"record": str(self.record)} if self.record else {}),
        }


def _trial_rows(
    results: Any, metric: str, preset_point: Mapping[str, Any] | None = None, kind: str | None = None
) -> list[dict[str, Any]]:
    """One row per trial: its settings (`decoded` for family `kind`), its curve, its last validation
    value, or its error; `preset` marks the first trial whose settings are `preset_point` (the
    preset's own trial)."""
    rows = []
    for result in results:
        last = dict(result.metrics or {})
        curve = []
        frame = result.metrics_dataframe
        if frame is not None and metric in frame:
            curve = [float(v) for v in frame[metric].tolist() if math.isfinite(float(v))]
        error = last.get("error") or (one_line(result.error) if result.error else None)
        value = last.get(metric)
        rows.append(
            {
                "settings": decoded(kind, result.config or {}) if kind else dict(result.config or {}),
                "status": FAILED if error else "done",
                "error": error,
                "epochs": int(last.get("epoch", 0) or 0),
                "validation": None if error or value is None or not math.isfinite(value) else float(value),
                "curve": curve,
                "preset": False,
            }
        )
    preset_row = next((r for r in rows if same_settings(r["settings"], preset_point)), None)
    if preset_row is not None:
        preset_row["preset"] = True
    return rows


def _best(rows: list[dict[str, Any]], mode: str) -> dict[str, Any] | None:
    """The trial with the best validation value (ties: the first), among those that finished."""
    done = [r for r in rows if r["validation"] is not None]
    if not done:
        return None
    pick = max if mode == "max" else min
    return pick(done, key=lambda r: r["validation"])


def _holding(space: Mapping[str, Dimension], point: Mapping[str, Any] | None) -> dict[str, Dimension]:
    """`space` with the preset's value added to each choice that lacks it: TPE can start only from a point
    its space can express (a number outside its range is still tried; a choice outside cannot be)."""
    out = dict(space)
    for name, dim in space.items():
        value = None if point is None else point.get(name)
        value = tuple(value) if isinstance(value, list) else value
        if isinstance(dim, Choice) and value is not None and value not in dim.values:
            out[name] = Choice((value, *dim.values))
    return out


def _searcher(request: SweepRequest, point: Mapping[str, Any] | None, at_once: int) -> Any:
    """Tune's search algorithm for `request.search`, seeded, starting from `point` (the preset's trial)."""
    from ray.tune.search import BasicVariantGenerator, ConcurrencyLimiter

    first = [{k: _to_tune(v) for k, v in point.items()}] if point else None
    if request.search == "random":
        return BasicVariantGenerator(points_to_evaluate=first, random_state=request.seed, max_concurrent=at_once)
    import optuna
    from ray.tune.search.optuna import OptunaSearch

    start = max(1, min(10, round(request.trials * TPE_RANDOM_SHARE)))
    sampler = optuna.samplers.TPESampler(seed=request.seed, n_startup_trials=start)
    return ConcurrencyLimiter(OptunaSearch(points_to_evaluate=first, sampler=sampler), max_concurrent=at_once)


def run_sweep(
    request: SweepRequest,
    data: MovieLens,
    models_dir: str | Path | None = None,
    test_best: bool = True,
    on_trial: Callable[[dict[str, Any]], None] | None = None,
    progress: SweepProgress | None = None,
    cancel: threading.Event | None = None,
) -> Sweep:
    """Run `request` on Ray Tune; test the best settings and the preset; save the record.

    Args:
        request: the sweep.
        data: the data set (shipped to the trials once, through Ray's object store).
        models_dir: the registry whose `.sweeps/` keeps the record (the default registry when None).
        test_best: whether to train the best settings and the preset on the whole training part and
            test them with the task's peers (the only time the test part is read).
        on_trial: called with each trial's row once the sweep is over (the CLI's progress lines).
        progress: fed live, trial by trial, while the sweep runs (a page's table).
        cancel: once set, every trial stops and the sweep ends without testing or saving.

    Raises:
        SweepError: nothing to sweep, or settings that make no valid config.
        SweepFailed: no trial finished.
        SweepCancelled: `cancel` was set.
        EngineError: Ray could not be started or joined.
    """
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    from recexplore.engine.cluster import cluster_summary, ensure_started
    from recexplore.training.pipeline import run

    started = time.perf_counter()
    space = request.searched()
    preset = request.config({})  # the preset and the fixed settings make a valid config before any trial
    metric, mode = request.metric()
    point = request.preset_point() if request.preset_trial else None
    split = make_split(data, request.split or request.family.default_split, request.seed)
    validation = validation_split(split, request.seed)  # made once: every trial trains on it
    ensure_started()
    epochs = max(1, int(preset.epochs))
    scheduler = ASHAScheduler(time_attr="training_iteration", max_t=epochs, grace_period=1, reduction_factor=3)
    cpus = max(1, int(cluster_summary().get("cpus", 1)))
    at_once = min(cpus, request.concurrent) if request.concurrent else cpus
    callbacks = [progress_callback(progress, partial(decoded, request.kind))] if progress is not None else []
    with DRIVER_LOCK, tempfile.TemporaryDirectory(prefix="recexplore-sweep-") as scratch:
        tuner = tune.Tuner(
            tune.with_resources(tune.with_parameters(_trial, request=request, data=data, split=validation), {"cpu": 1}),
            param_space=tune_space(_holding(space, point) if request.search == "tpe" else space),
            tune_config=tune.TuneConfig(
                metric=metric,
                mode=mode,
                scheduler=scheduler,
                search_alg=_searcher(request, point, at_once),
                num_samples=request.trials,
                time_budget_s=request.time_budget_s,
            ),
            run_config=tune.RunConfig(
                name="sweep",
                storage_path=scratch,
                verbose=0,
                log_to_file=True,
                callbacks=callbacks,
                stop=cancel_stopper(cancel) if cancel is not None else None,
            ),
        )
        with _quiet():  # Tune's own tables: the library prints nothing
            results = tuner.fit()
        rows = _trial_rows(results, metric, point, request.kind)
    if cancel is not None and cancel.is_set():
        raise SweepCancelled("the sweep was cancelled")
    for row in rows:
        if on_trial is not None:
            on_trial(row)
    best = _best(rows, mode)
    if best is None:
        reasons = sorted({r["error"] for r in rows if r["error"]})
        if not reasons and request.time_budget_s is not None:
            reasons = [f"the time budget of {request.time_budget_s:g} s ended before any trial finished an epoch"]
        raise SweepFailed(f"no trial of the sweep finished ({'; '.join(reasons)[:300] or 'none ran'})")
    tested: dict[str, dict[str, float]] = {}
    if test_best:
        for name, config in (("best", request.config(best["settings"])), ("preset", preset)):
            done = run(request.kind, config, data=data, split=split, seed=request.seed)
            tested[name] = {k: float(v) for k, v in done.metrics.items() if isinstance(v, (int, float))}
    seconds = time.perf_counter() - started
    sweep = Sweep(request, metric, mode, rows, best, tested, seconds, None, data.fingerprint, data.dataset, epochs)
    sweep.record = save_record(sweep, models_dir)
    return sweep


def record_config(record: Mapping[str, Any], settings: Mapping[str, Any] | None = None) -> Any:
    """The config a record's trial trains: its preset, its fixed settings, then `settings` (the best
    trial's when None); what "train the best on the whole training part" submits.

    Raises:
        ValueError: the record has no best trial, or settings the family refuses (one line).
    """
    if settings is None:
        if not record.get("best"):
            raise ValueError("this sweep has no finished trial to train")
        settings = record["best"]["settings"]
    fixed = {k: tuple(v) if isinstance(v, list) else v for k, v in (record.get("fixed") or {}).items()}
    return SweepRequest(str(record["kind"]), record.get("preset"), fixed).config(settings)


def save_record(sweep: Sweep, models_dir: str | Path | None = None) -> Path:
    """Write the sweep's record into `<models dir>/.sweeps/` (atomically); returns its path."""
    return write_record(sweep.as_dict(), sweep.request.kind, models_dir)
