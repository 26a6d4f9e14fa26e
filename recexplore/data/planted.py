"""Planted crosses: a generated regression table whose target depends on chosen feature pairs, the
demonstration the keras-rs DCN example opens with (pure numpy, seeded).

Each row holds `n_features` numbers x_1..x_n drawn uniformly from [-1, 1] (centred, so a product
x_i x_j is uncorrelated with x_i and x_j and each planted pair is a signal of its own), and

    y = sum_k a_k x_k + strength * sum_{(i, j) planted} x_i x_j + noise * N(0, 1)

with first-order weights a_k drawn from [-1, 1] by the seed. A cross layer can write each planted
product exactly (x0 * (W x)); the noise is the floor no model can get under (its test RMSE).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from recexplore.config.settings import Bound, ConfigDict, setting

DEFAULT_PAIRS = ((0, 1), (2, 3))
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class PlantedCrosses(ConfigDict):
    """What to generate.

    Attributes:
        pairs: the planted feature pairs, 0-based (i, j) with i != j; at least one.
        n_features: how many features x_1..x_n.
        strength: the weight of every planted product in the target.
        noise: the standard deviation of the Gaussian noise added to the target.
        rows: how many rows (a fifth of them, TEST_FRACTION, held out for the test RMSE).
        seed: the seed of the features, the first-order weights, the noise and the split.
    """

    pairs: tuple[tuple[int, int], ...] = field(default=DEFAULT_PAIRS)
    n_features: int = setting(6, "how many features", Bound(2, 12, integer=True))
    strength: float = setting(1.0, "weight of each planted product x_i x_j", Bound(0.0, 10.0, open_low=True))
    noise: float = setting(0.1, "standard deviation of the noise", Bound(0.0, 2.0))
    rows: int = setting(20_000, "rows generated (a fifth held out)", Bound(1_000, 200_000, integer=True))
    seed: int = setting(0, "random seed", Bound(0, 2**31 - 1, integer=True))

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.pairs:
            raise ValueError("pairs: plant at least one feature pair")
        normal = []
        for pair in self.pairs:
            if len(pair) != 2 or not all(isinstance(k, int | np.integer) and not isinstance(k, bool) for k in pair):
                raise ValueError(f"pairs: each pair is two feature numbers, got {pair!r}")
            i, j = sorted(int(k) for k in pair)
            if i == j or i < 0 or j >= self.n_features:
                raise ValueError(f"pairs: {pair!r} is not two different features of 0..{self.n_features - 1}")
            normal.append((i, j))
        if len(set(normal)) != len(normal):
            raise ValueError("pairs: a pair is planted twice")
        object.__setattr__(self, "pairs", tuple(sorted(normal)))

    @property
    def test_rows(self) -> int:
        """How many rows are held out for the test RMSE."""
        return int(round(self.rows * TEST_FRACTION))


@dataclass(frozen=True)
class PlantedData:
    """A generated table: features (rows x n_features, float32), target, the first-order weights,
    the noiseless target, and which rows are held out."""

    x: np.ndarray
    y: np.ndarray
    linear: np.ndarray
    clean: np.ndarray
    test: np.ndarray  # boolean mask of the held-out rows
    names: tuple[str, ...]


def feature_names(n_features: int) -> tuple[str, ...]:
    """'x1'..'xn', the features' names in the page and the docs."""
    return tuple(f"x{k + 1}" for k in range(n_features))


def all_pairs(n_features: int) -> list[tuple[int, int]]:
    """Every unordered feature pair (i < j), in order."""
    return list(combinations(range(n_features), 2))


def pair_label(pair: tuple[int, int]) -> str:
    """'x1 x x2' for (0, 1)."""
    names = feature_names(max(pair) + 1)
    return f"{names[pair[0]]} x {names[pair[1]]}"


def make_planted(spec: PlantedCrosses) -> PlantedData:
    """The table `spec` describes; the same spec gives the same rows."""
    rng = np.random.default_rng(spec.seed)
    x = rng.uniform(-1.0, 1.0, size=(spec.rows, spec.n_features))
    linear = rng.uniform(-1.0, 1.0, size=spec.n_features)
    clean = x @ linear + spec.strength * sum(x[:, i] * x[:, j] for i, j in spec.pairs)
    y = clean + spec.noise * rng.standard_normal(spec.rows)
    test = np.zeros(spec.rows, dtype=bool)
    test[rng.permutation(spec.rows)[: spec.test_rows]] = True
    return PlantedData(
        x.astype(np.float32),
        y.astype(np.float32),
        linear,
        clean,
        test,
        feature_names(spec.n_features),
    )
