"""What a sweep may not do: read its split's test part, or stop when one trial fails."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from recexplore.config.search import Choice
from recexplore.data.loading import load_movielens
from recexplore.data.movielens import MovieLens
from recexplore.data.splits import make_split, validation_split
from recexplore.engine import sweeps
from recexplore.engine.sweeps import SweepRequest, run_sweep

TINY_DLRM = {"epochs": 2, "embedding_dim": 4, "batch_size": 256}
TINY_TOWERS = {"epochs": 1, "embedding_dim": 4, "batch_size": 256, "layers": (8,)}


def _with_stars_changed(data: MovieLens, part: pd.DataFrame) -> MovieLens:
    """The same data set with the stars of the (user, movie) pairs in `part` turned upside down (6 - stars)."""
    keys = pd.MultiIndex.from_frame(data.ratings[["user_id", "movie_id"]])
    hit = keys.isin(pd.MultiIndex.from_frame(part[["user_id", "movie_id"]]))
    assert hit.sum() == len(part)
    ratings = data.ratings.copy()
    ratings.loc[hit, "user_rating"] = 6.0 - ratings.loc[hit, "user_rating"]
    return dataclasses.replace(data, ratings=ratings)


def _reports(monkeypatch: pytest.MonkeyPatch, request: SweepRequest, data: MovieLens) -> list[dict[str, Any]]:
    """What one trial of `request` reports to Tune, run whole in this process on `data`'s validation split."""
    from ray import tune

    reports: list[dict[str, Any]] = []
    monkeypatch.setattr(tune, "report", lambda metrics, **_: reports.append(dict(metrics)))
    sweeps._trial({"learning_rate": 0.01}, request, data, validation_split(make_split(data, "random", 5), 5))
    return reports


def test_a_trial_reads_nothing_of_the_test_part(ml_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rating trial (the one task whose loss reads the stars) run in this process, whole, on the data
    set and on a copy whose test part's stars are all changed: what it reports is the same to the
    last digit, so no step of a trial (vocabularies, features, training, the validation metric) read
    a test row. The copy's own split has the same rows, so only a read of the test part could differ."""
    data = load_movielens(ml_folder)
    split = make_split(data, "random", 5)
    request = SweepRequest("dlrm", fixed=TINY_DLRM, trials=1, seed=5)
    first = _reports(monkeypatch, request, data)
    assert len(first) == 2 and all("error" not in r for r in first)
    assert _reports(monkeypatch, request, _with_stars_changed(data, split.test)) == first
    # and the check can fail: the same trial where the validation slice's stars changed differs
    validation = validation_split(split, 5)
    assert _reports(monkeypatch, request, _with_stars_changed(data, validation.test)) != first


def test_a_trial_that_raises_is_recorded_and_the_sweep_completes(
    ml_folder: Path, tmp_path: Path, ray_engine: None
) -> None:
    """On the test run's engine: the preset's own trial finishes, the drawn one (a learning rate the
    config refuses) raises in its worker; the sweep ends, its record keeps both, the failure in one line."""
    data = load_movielens(ml_folder)
    request = SweepRequest(
        "towers",
        preset="1-layer",
        fixed=TINY_TOWERS,
        space={"learning_rate": Choice((-1.0,))},
        trials=2,
        seed=3,
        preset_trial=True,
    )
    sweep = run_sweep(request, data, tmp_path / "models", test_best=False)
    record = json.loads(sweep.record.read_text())
    statuses = sorted(t["status"] for t in record["trials"])
    assert statuses == ["done", sweeps.FAILED] and record["failed"] == 1
    failed = next(t for t in record["trials"] if t["status"] == sweeps.FAILED)
    assert "learning_rate" in failed["error"] and "\n" not in failed["error"] and failed["validation"] is None
    assert record["best"]["validation"] is not None and record["best"]["settings"]["learning_rate"] > 0
    assert record["tested"] == {}  # test_best=False: the test part was not read at all
