"""Shared fixtures: a synthetic MovieLens folder, isolated caches and registry."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from recexplore.data.sources import NAMES
from recexplore.models.dlrm import DLRMConfig
from recexplore.models.towers import TowerConfig
from tests.synthetic import write_fold, write_movielens

# Real-data tests read the project's data setting as it was when pytest started;
# each test then runs with the variable unset so nothing else picks it up by accident.
REAL_DATA_DIR = os.environ.get("RECEXPLORE_DATA_DIR")
TEST_RAY_CPUS = 2


@pytest.fixture(scope="session", autouse=True)
def _keras_kept_between_runs() -> None:
    """As streamlit_app.py does at start-up: page tests run without Streamlit's after-run Keras
    reset (see recexplore/keras_guard.py), like the pages in the real app."""
    from recexplore.app.keras_guard import keep_keras_state_between_runs

    assert keep_keras_state_between_runs()


@pytest.fixture(scope="session", autouse=True)
def _registry_key(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One registry signing key for the whole session, never the user's ~/.config key. Session
    scope: module fixtures that save models run before any function-scoped fixture."""
    os.environ["RECEXPLORE_REGISTRY_KEY_FILE"] = str(tmp_path_factory.getbasetemp() / "registry.key")
    os.environ.pop("RECEXPLORE_REGISTRY_KEY", None)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own parse cache and registry; no test sees the user's setup."""
    monkeypatch.setenv("RECEXPLORE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(tmp_path_factory.mktemp("models")))
    monkeypatch.delenv("RECEXPLORE_DATA_DIR", raising=False)
    from recexplore.data import download

    # No test may reach GroupLens: a page or call that would download finds it unreachable at
    # once (the download tests point the URL at their own server on 127.0.0.1 instead).
    for name in NAMES:
        monkeypatch.setenv(download.mirror_env(name), f"https://127.0.0.1:9/{name}.zip")
    monkeypatch.setenv("RECEXPLORE_RAY_CPUS", str(TEST_RAY_CPUS))  # whichever test starts Ray bounds it
    for variable in ("RECEXPLORE_RAY_ADDRESS", "RAY_ADDRESS", "RECEXPLORE_WORKSPACES_DIR", "RECEXPLORE_DATASET"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(scope="session")
def ray_engine() -> Iterator[None]:
    """One local Ray for the whole test session, bounded to TEST_RAY_CPUS CPUs (jobs take 1 each)."""
    from recexplore.engine.cluster import ensure_started
    from recexplore.engine.jobs import POOL
    from recexplore.engine.settings import EngineSettings

    ensure_started(EngineSettings(local_cpus=TEST_RAY_CPUS, object_store_mb=256))
    yield
    POOL.clear()


@pytest.fixture
def data_env(ml_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages read the synthetic data set."""
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))


def registry_leftovers(folder: Path) -> list[str]:
    """Hidden folders a registry save or delete left behind in `folder` (the registry's marker is not one)."""
    from recexplore.store.entry_format import MARKER_FILE

    return [p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != MARKER_FILE]


@pytest.fixture(scope="session")
def ml_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic ml-100k folder with an official-style u1 fold."""
    folder = write_movielens(tmp_path_factory.mktemp("synthetic") / "ml-100k")
    write_fold(folder, "u1")
    return folder


@pytest.fixture(scope="module")
def space(ml_folder: Path) -> Any:
    """The synthetic data's feature space (vocabularies built from it)."""
    from recexplore.data.features import FeatureSpace, Vocabularies
    from recexplore.data.loading import load_movielens

    data = load_movielens(ml_folder)
    return FeatureSpace(Vocabularies.build(data), data)


@pytest.fixture(scope="module")
def data_split(ml_folder: Path) -> Any:
    """The synthetic data and its seeded random split."""
    from recexplore.data.loading import load_movielens
    from recexplore.data.splits import make_split

    data = load_movielens(ml_folder)
    return data, make_split(data)


@pytest.fixture(scope="module")
def ratings(ml_folder: Path) -> Any:
    """The first 64 training ratings of the synthetic data's seeded split."""
    from recexplore.data.loading import load_movielens
    from recexplore.data.splits import make_split

    return make_split(load_movielens(ml_folder)).train.head(64)


@pytest.fixture
def ml_copy(tmp_path: Path) -> Path:
    """A fresh, writable synthetic folder a test may corrupt."""
    return write_movielens(tmp_path / "ml-100k")


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real MovieLens 100K folder named by RECEXPLORE_DATA_DIR (skips when unset)."""
    if not REAL_DATA_DIR or not Path(REAL_DATA_DIR).is_dir():
        pytest.skip("real-data test: set RECEXPLORE_DATA_DIR to an ml-100k folder")
    return Path(REAL_DATA_DIR)


def tiny_towers_config(layers: tuple[int, ...] = (8,)) -> TowerConfig:
    """The small two-tower config the page and registry tests train on synthetic data."""
    return TowerConfig(layers=layers, embedding_dim=4, batch_size=128, epochs=2)


TINY_DLRM = DLRMConfig(embedding_dim=4, top_layers=(8,), epochs=2, batch_size=256)


def save_tiny_models(
    folder: Path, ml_folder: Path, towers: dict[str, tuple[int, ...]], dlrm_name: str | None = None
) -> Path:
    """Train tiny two-tower models (name -> layers) and optionally a tiny DLRM on the synthetic
    data, all on one split, and save them in the registry `folder`."""
    from recexplore.data.loading import load_movielens
    from recexplore.data.splits import make_split
    from recexplore.store import registry
    from recexplore.training.trainer import train

    data = load_movielens(ml_folder)
    split = make_split(data)
    for name, layers in towers.items():
        registry.save(train("towers", data, split, tiny_towers_config(layers)), name, folder)
    if dlrm_name is not None:
        registry.save(train("dlrm", data, split, TINY_DLRM), dlrm_name, folder)
    return folder


def warm_spares(manager: object, count: int) -> None:
    """Have `count` spare workers up (Keras imported) before a test submits jobs that must overlap."""
    from recexplore.engine.jobs import POOL

    POOL.top_up(*manager._worker_shape(), count)  # type: ignore[attr-defined]
    POOL.wait_ready()
