"""The one pipeline: data set -> split -> vocabularies -> memory check -> training -> the task's peers.

`run` is what every trained model goes through, whoever asks: the CLI's `train` and `pretrain`, the
Ray worker behind the app's jobs and the `compare-*` commands, and the benchmarks (RecBole's
`run_recbole`, Cornac's `Experiment.run`). A hyperparameter sweep calls it once per trial.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from typing import Any

from recexplore.data.features import Vocabularies
from recexplore.data.loading import load_movielens
from recexplore.data.movielens import MovieLens
from recexplore.data.splits import Split, make_split
from recexplore.families import family, sized_epochs
from recexplore.training.memory import check_training_memory
from recexplore.training.trainer import ProgressHooks, TrainResult, train


@dataclass
class Run:
    """What one pass of the pipeline produced.

    Attributes:
        result: the trained model, its history and its test metrics (peers its evaluation
            measures on the same targets included).
        peers: the metrics of the peers its task measures beside it on the split (`Task.peers`:
            EASE beside a retrieval model), empty when not asked for or the task has none.
        peer_seconds: how long measuring those peers took (0 when they came from the cache).
        data: the data set it was trained on.
        split: the split it was trained and tested on.
    """

    result: TrainResult
    data: MovieLens
    split: Split
    peers: dict[str, float] = field(default_factory=dict)
    peer_seconds: float = 0.0

    @property
    def metrics(self) -> dict[str, float]:
        """The model's metrics with its peers' beside them (what `train --json` prints)."""
        return {**self.result.metrics, **self.peers}


def load_data(data: MovieLens | str | os.PathLike[str] | None = None, dataset: str | None = None) -> MovieLens:
    """`data` itself when already parsed, else the data set found at `data` (a folder or zip; the
    data setting or a download when None), `dataset` choosing among several there."""
    return data if isinstance(data, MovieLens) else load_movielens(data, dataset=dataset)


def run(
    kind: str,
    config: Any = None,
    *,
    data: MovieLens | str | os.PathLike[str] | None = None,
    dataset: str | None = None,
    split: Split | str | None = None,
    seed: int = 42,
    hooks: ProgressHooks | None = None,
    vocab: Vocabularies | None = None,
    size_epochs: bool = False,
    peers: bool = True,
) -> Run:
    """Train and measure one model of family `kind`, every step in one place.

    Args:
        kind: the family ('dlrm', 'dcn', 'towers', 'sequential': `families.FAMILY_MODULES`).
        config: the family's config; its default preset when None.
        data: a parsed data set, or where to find one (see `load_data`).
        dataset: which data set at `data` (when it holds several).
        split: a split, or its name ('random', 'u1', 'last-out', ...); the family's default when None.
        seed: the split's and the training's seed.
        hooks: progress and cancel callbacks.
        vocab: the vocabularies, built from the data when None (one build shared by many runs).
        size_epochs: whether the config's epochs are a preset's, to be sized for the data set's
            ratings (`families.sized_epochs`); False when a person chose them.
        peers: whether to measure the task's peers beside the model (`Task.peers`, cached per split).

    Returns:
        The trained model's `Run`.

    Raises:
        ValueError: a config of another family, or a split the family cannot train on.
        DataError: the data set or split cannot be read or made.
        ResourceError: this machine cannot hold the training (refused before anything is allocated).
    """
    fam = family(kind)
    config = fam.make_config() if config is None else config
    name = split.name if isinstance(split, Split) else (split or fam.default_split)
    problem = fam.split_problem(name)
    if problem is not None:
        raise ValueError(problem)
    parsed = load_data(data, dataset)
    made = split if isinstance(split, Split) else make_split(parsed, name, seed=seed)
    if size_epochs:
        config = dataclasses.replace(config, epochs=sized_epochs(config.epochs, len(parsed.ratings)))
    vocab = vocab or Vocabularies.build(parsed)
    check_training_memory(fam.name, config, vocab.sizes(), len(made.train))
    result = train(kind, parsed, made, config, seed=seed, hooks=hooks, vocab=vocab)
    started = time.perf_counter()
    found = fam.task.behaviour("peers")(parsed, made, seed) if peers and fam.task.peers else {}
    return Run(result, parsed, made, dict(found), time.perf_counter() - started)
