"""Saved models prepared for the pages, cached per save: the model, its recommenders, its EASE and Beyond views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from recexplore.app.loaded_data import load_data
from recexplore.app.messages import stop_with
from recexplore.app.model_choice import offers
from recexplore.app.runs import split_key
from recexplore.app.session_workspace import workspace
from recexplore.app.split_baselines import ease_baseline
from recexplore.data.features import FeatureSpace, Vocabularies
from recexplore.data.movielens import DataError
from recexplore.data.splits import Split
from recexplore.families import NEXT_MOVIE, RECOMMEND
from recexplore.store import registry, workspaces
from recexplore.store.entry_format import Entry, RegistryError


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
    digest: str  # the manifest's digest: identifies this exact save (the cache key)


@st.cache_resource(show_spinner="Loading model ...", max_entries=16)
def _cached_model(name: str, directory: str, digest: str, fingerprint: str) -> ReadyModel:
    from recexplore.evaluation.scoring import prepare_loaded

    loaded = registry.load(name, directory)
    data = load_data()
    space, split = prepare_loaded(loaded.kind, loaded.model, loaded.meta, data, loaded.vocab)
    return ReadyModel(name, loaded.kind, loaded.model, loaded.meta, loaded.vocab, space, split, loaded.digest)


def ready_model(name: str) -> ReadyModel:
    """A prepared model (shared or this workspace's own), cached per (folder, manifest digest);
    raises RegistryError/DataError."""
    return _ready(_visible_entry(name))


def _ready(entry: Entry) -> ReadyModel:
    """The cached, prepared model of a visible entry."""
    return _cached_model(entry.name, str(entry.path.parent), entry.digest, load_data().fingerprint)


def _visible_entry(name: str) -> Entry:
    """The loadable entry `name` that this workspace sees; RegistryError otherwise."""
    entry = next((e for e in workspaces.visible_entries(workspace()) if e.name == name), None)
    if entry is None:
        raise RegistryError(f"No model named {name!r}: pick another one or train it on the Train page.")
    if not entry.ok:
        raise RegistryError(f"Model {name!r} is broken ({entry.problem}); pick another one.")
    return entry


def model_or_stop(name: str) -> ReadyModel:
    """`ready_model`, or a clear message and a stopped page."""
    try:
        return ready_model(name)
    except (RegistryError, DataError) as err:
        stop_with(str(err), "error")


@st.cache_resource(show_spinner="Building the retrieval index ...", max_entries=8)
def _cached_recommender(name: str, directory: str, digest: str, fingerprint: str) -> Any:
    from recexplore.serving.recommend import Recommender

    ready = _cached_model(name, directory, digest, fingerprint)
    return Recommender.build(ready.model, ready.vocab, load_data(), ready.split, ready.space)


def recommender(name: str) -> Any:
    """A cached Recommender over a registry two-tower model."""
    entry = _visible_entry(name)  # one registry listing for both lookups
    ready = _ready(entry)
    if not offers(ready.kind, RECOMMEND):
        raise RegistryError(f"Model {name!r} is a {ready.kind} model; choose a retrieval model.")
    return _cached_recommender(name, str(entry.path.parent), entry.digest, load_data().fingerprint)


@st.cache_resource(show_spinner="Fitting EASE on this model's split (once) ...", max_entries=8)
def _ease_weights(name: str, directory: str, digest: str, fingerprint: str, lam: float) -> Any:
    """EASE fitted on a saved model's training part (`ease.fit_ease`: on the most-rated movies of a
    large catalogue), for its Beyond view and the Recommend page's EASE list."""
    from recexplore.models.ease import fit_ease

    ready = _cached_model(name, directory, digest, fingerprint)
    return fit_ease(ready.space.interaction_csr(ready.split.train), lam)


def _ease_lambda(meta: dict[str, Any]) -> float | None:
    """EASE's lambda on a saved model's split, chosen on its validation slice (once per split,
    cached); None when that split cannot be made."""
    ease = ease_baseline(*split_key(meta)[:2], load_data().fingerprint)
    return None if ease is None else float(ease["ease_lambda"])


@st.cache_data(show_spinner="Measuring the lists beyond hit rate (once per model) ...", max_entries=32)
def _beyond(name: str, directory: str, digest: str, fingerprint: str, ease_lambda: float | None) -> dict[str, Any]:
    from recexplore.evaluation.scoring import beyond_view

    ready = _cached_model(name, directory, digest, fingerprint)
    weights = None if ease_lambda is None else _ease_weights(name, directory, digest, fingerprint, ease_lambda)
    return beyond_view(ready.model, ready.space, ready.split, weights)


def beyond(name: str) -> dict[str, Any]:
    """A retrieval model's Beyond accuracy view on its own split (scoring.beyond_view), with EASE
    fitted on that split; raises RegistryError/DataError."""
    entry = _visible_entry(name)
    ready = _ready(entry)
    if not offers(ready.kind, RECOMMEND):
        raise RegistryError(f"Model {name!r} is a {ready.kind} model; choose a retrieval model.")
    return _beyond(entry.name, str(entry.path.parent), entry.digest, load_data().fingerprint, _ease_lambda(ready.meta))


@st.cache_data(show_spinner="Scoring the saved model on its split (once per model) ...", max_entries=32)
def _test_metrics(name: str, directory: str, digest: str, fingerprint: str) -> dict[str, float]:
    from recexplore.families import family

    ready = _cached_model(name, directory, digest, fingerprint)
    return family(ready.kind).task.behaviour("evaluator")(ready.model, ready.space, ready.split)


def test_metrics(name: str, needed: tuple[str, ...]) -> dict[str, float]:
    """A saved model's test metrics: those its save recorded, recomputed on its split (once per save)
    when any of `needed` is missing (a model saved before the metric existed); raises RegistryError/DataError."""
    entry = _visible_entry(name)
    recorded = dict(entry.meta.get("metrics") or {})
    if set(needed) <= set(recorded):
        return recorded
    return {**recorded, **_test_metrics(entry.name, str(entry.path.parent), entry.digest, load_data().fingerprint)}


@st.cache_resource(show_spinner="Reading every user's history ...", max_entries=4)
def _cached_next(name: str, directory: str, digest: str, fingerprint: str) -> Any:
    from recexplore.serving.next_item import NextMovieRecommender

    ready = _cached_model(name, directory, digest, fingerprint)
    return NextMovieRecommender.build(ready.model, load_data(), ready.split, ready.space)


def next_recommender(name: str) -> Any:
    """A cached NextMovieRecommender over a registry next-movie model; raises RegistryError/DataError."""
    entry = _visible_entry(name)
    ready = _ready(entry)
    if not offers(ready.kind, NEXT_MOVIE):
        raise RegistryError(f"Model {name!r} is a {ready.kind} model; choose a next-movie model.")
    return _cached_next(entry.name, str(entry.path.parent), entry.digest, load_data().fingerprint)


POPULARITY_LIST, EASE_LIST = "popularity (the most-rated movies)", "EASE (linear item-to-item)"


def second_list(model_name: str, other: str, user_id: int, k: int) -> Any:
    """The list Recommend sets beside `model_name`'s for a user: another retrieval model's, or the
    popularity or EASE baseline's on `model_name`'s split; raises RegistryError/RecommendError."""
    from recexplore.serving.recommend import ease_recommendations, popularity_recommendations

    rec = recommender(model_name)
    if other == POPULARITY_LIST:
        return popularity_recommendations(rec, user_id, k)
    if other == EASE_LIST:
        entry = _visible_entry(model_name)
        lam = _ease_lambda(entry.meta)
        if lam is None:
            raise RegistryError(f"EASE cannot be fitted on the split of {model_name!r}; pick another list.")
        weights = _ease_weights(entry.name, str(entry.path.parent), entry.digest, load_data().fingerprint, lam)
        return ease_recommendations(rec, weights, user_id, k)
    return recommender(other).recommend(user_id, k)


def clear_model_caches() -> None:
    """Forget cached models and indexes (after a save or delete)."""
    _cached_model.clear()
    _cached_recommender.clear()
    _cached_next.clear()
    _ease_weights.clear()
