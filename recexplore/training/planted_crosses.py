"""Train the planted-crosses contenders (models/planted_crosses.py) on a generated table
(data/planted.py) and measure them: test RMSE against parameters, and the full-rank cross network's
feature-pair strengths, computed as the Feature interactions page computes a DCN's
(models.dcn.cross_layer_matrix, then block_norms)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import keras
import numpy as np

from recexplore.config.settings import BATCH_SIZE, LEARNING_RATE, Bound, ConfigDict, setting
from recexplore.data.planted import PlantedCrosses, make_planted
from recexplore.models.dcn import block_norms, cross_layer_matrix
from recexplore.models.planted_crosses import contenders, side_by_side


@dataclass(frozen=True)
class PlantedTraining(ConfigDict):
    """How the contenders train (all alike, on the same batches).

    Attributes:
        steps: optimizer steps, whatever the rows (a small table makes more passes over its rows,
            so it is not also an undertrained one).
        batch_size: rows per step.
        learning_rate: Adam's.
        cross_l2: L2 on the cross layers' W and output unit: it takes the unused pairs' weights
            towards zero, so the planted ones stand out (the DNN control has none).
    """

    steps: int = setting(800, "optimizer steps", Bound(1, 100_000, integer=True))
    batch_size: int = setting(256, "batch size", BATCH_SIZE)
    learning_rate: float = setting(0.01, "Adam learning rate", LEARNING_RATE)
    cross_l2: float = setting(0.003, "L2 on the cross layer's W", Bound(0.0, 1.0))


@dataclass(frozen=True)
class Measured:
    """One contender's line: name, kind (DCN or DNN), parameters and test RMSE."""

    name: str
    kind: str
    params: int
    rmse: float


@dataclass(frozen=True)
class PlantedResult:
    """What one run shows: each contender's line (cross networks first), the full-rank cross
    layer's W and its pair strengths (n_features x n_features), the floor (the noiseless target's
    test RMSE: the noise actually drawn) and the seconds the training took."""

    spec: PlantedCrosses
    names: tuple[str, ...]
    measured: tuple[Measured, ...]
    weights: np.ndarray
    strengths: np.ndarray
    floor: float
    seconds: float


def _rmse(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(np.asarray(predicted, dtype=np.float64).ravel() - actual))))


def run_planted(spec: PlantedCrosses, training: PlantedTraining | None = None) -> PlantedResult:
    """Generate `spec`'s table, train every contender on its training rows (seeded by spec.seed)
    and measure them on its held-out rows."""
    training = training or PlantedTraining()
    data = make_planted(spec)
    test = data.test
    keras.utils.set_random_seed(spec.seed)
    found = contenders(spec.n_features, training.cross_l2)
    model = side_by_side(found, spec.n_features)
    model.compile(optimizer=keras.optimizers.Adam(training.learning_rate), loss=["mse"] * len(found))
    rows = np.flatnonzero(~data.test)
    passes = math.ceil(training.steps * training.batch_size / len(rows))
    rng = np.random.default_rng(spec.seed)
    order = np.concatenate([rng.permutation(rows) for _ in range(passes)])[: training.steps * training.batch_size]
    started = time.perf_counter()
    # one fit over the shuffled passes laid end to end: Keras's per-epoch cost paid once
    model.fit(data.x[order], [data.y[order]] * len(found), batch_size=training.batch_size, shuffle=False, verbose=0)
    seconds = time.perf_counter() - started
    predicted = model.predict(data.x[test], batch_size=8192, verbose=0)
    actual = data.y[test].astype(np.float64)
    measured = tuple(
        Measured(c.name, c.kind, c.params, _rmse(p, actual)) for c, p in zip(found, predicted, strict=True)
    )
    weights = cross_layer_matrix(found[0].model.get_layer("dcn_cross"))
    return PlantedResult(
        spec,
        data.names,
        measured,
        weights,
        block_norms(weights, spec.n_features, 1),
        _rmse(data.clean[test], actual),
        seconds,
    )
