"""The only Streamlit-aware library module: cached data/models, the job queue, guards."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any, NoReturn

import streamlit as st

from recexplore import registry
from recexplore.data import DataError, MovieLens, Split, load_movielens
from recexplore.features import FeatureSpace, Vocabularies
from recexplore.registry import RegistryError

SESSION_KEY = "recexplore_session_id"


@dataclass
class ReadyModel:
    """A registry model prepared for use: loaded, with its feature space and split rebuilt."""

    name: str
    kind: str
    model: Any
    meta: dict[str, Any]
    vocab: Vocabularies
    space: FeatureSpace
    split: Split


def stop_with(message: str, kind: str = "info") -> NoReturn:
    """Show one message with a way forward and end this page run (no traceback)."""
    getattr(st, kind)(message)
    st.stop()
    raise SystemExit  # unreachable: st.stop raises


@st.cache_resource(show_spinner="Loading MovieLens 100K ...")
def _cached_data(path: str | None, stamp: str) -> MovieLens:
    return load_movielens(path, download=False)


def data_source() -> str | None:
    """The configured data path (RECEXPLORE_DATA_DIR) or None for the default search."""
    return os.environ.get("RECEXPLORE_DATA_DIR") or None


def load_data() -> MovieLens:
    """The data set, shared by every session (read-only); raises DataError."""
    path = data_source()
    return _cached_data(path, path or "")


def data_or_stop() -> MovieLens:
    """The data set, or a clear message and a stopped page when it is unavailable."""
    try:
        return load_data()
    except DataError as err:
        stop_with(f"{err} Then reload this page.", "warning")


def models_dir() -> str:
    """The registry folder in use."""
    return str(registry.models_dir())


def list_models(kind: str | None = None, only_ok: bool = True) -> list[registry.Entry]:
    """Registry entries (optionally of one kind, optionally only loadable ones)."""
    entries = registry.list_entries()
    return [e for e in entries if (kind is None or e.kind == kind) and (e.ok or not only_ok)]


@st.cache_resource(show_spinner="Loading model ...", max_entries=16)
def _cached_model(name: str, directory: str, sha: str, fingerprint: str) -> ReadyModel:
    from recexplore.training import prepare_loaded

    loaded = registry.load(name, directory)
    data = load_data()
    space, split = prepare_loaded(loaded.kind, loaded.model, loaded.meta, data, loaded.vocab)
    return ReadyModel(name, loaded.kind, loaded.model, loaded.meta, loaded.vocab, space, split)


def ready_model(name: str) -> ReadyModel:
    """A prepared registry model, cached per (name, file sha256); raises RegistryError/DataError."""
    entry = next((e for e in registry.list_entries() if e.name == name), None)
    if entry is None:
        raise RegistryError(f"No model named {name!r}: pick another one or train it on the Train page.")
    if not entry.ok:
        raise RegistryError(f"Model {name!r} is broken ({entry.problem}); pick another one.")
    return _cached_model(name, models_dir(), entry.meta["model_sha256"], load_data().fingerprint)


def model_or_stop(name: str) -> ReadyModel:
    """`ready_model`, or a clear message and a stopped page."""
    try:
        return ready_model(name)
    except (RegistryError, DataError) as err:
        stop_with(str(err), "error")


@st.cache_resource(show_spinner="Building the retrieval index ...", max_entries=8)
def _cached_recommender(name: str, directory: str, sha: str, fingerprint: str) -> Any:
    from recexplore.recommend import Recommender

    ready = _cached_model(name, directory, sha, fingerprint)
    return Recommender.build(ready.model, ready.vocab, load_data())


def recommender(name: str) -> Any:
    """A cached Recommender over a registry two-tower model."""
    ready = ready_model(name)
    if ready.kind != "towers":
        raise RegistryError(f"Model {name!r} is a {ready.kind} model; choose a two-tower model.")
    return _cached_recommender(name, models_dir(), ready.meta["model_sha256"], load_data().fingerprint)


def clear_model_caches() -> None:
    """Forget cached models and indexes (after a save or delete)."""
    _cached_model.clear()
    _cached_recommender.clear()


def session_id() -> str:
    """A stable id for this browser session (owner of its training jobs)."""
    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = uuid.uuid4().hex
    return str(st.session_state[SESSION_KEY])


@st.cache_resource
def job_queue() -> Any:
    """The process-wide training queue (one job at a time; Keras state is global)."""
    from recexplore.jobs import JobQueue
    from recexplore.training import train

    def run(job: Any, hooks: Any) -> Any:
        params = job.params
        return train(params["kind"], params["data"], params["split"], params["config"], seed=params["seed"],
                     hooks=hooks)  # fmt: skip

    return JobQueue(run)


@st.cache_resource(show_spinner=False)
def device_summary() -> dict[str, str]:
    """Device and backend facts for the sidebar (computed once per process)."""
    import keras

    from recexplore.training import device_description

    return {"device": device_description(), "backend": keras.backend.backend()}
