"""A model's architecture as a table: every layer in call order, its output shape and parameters.

The shapes are measured, not declared: the model runs once on a tiny all-OOV batch while each
layer's `call` is wrapped to record what it returned. Layers whose weights are read directly
(the rated-movies history tables) are listed after, with their weight shapes.
"""

from __future__ import annotations

import functools
from typing import Any

import keras
import numpy as np

from recexplore.families import family
from recexplore.models.rating import RatingModel, dummy_rating_inputs
from recexplore.models.towers import TwoTowerModel, dummy_tower_inputs

BATCH = "batch"  # how the batch dimension is written in shapes
ROLES = {  # layer class -> one phrase on what it does in a recommender
    "DotInteraction": "keras-rs: pairwise dot products of the feature embeddings",
    "FeatureCross": "keras-rs: x0 * (W x + b) + x, an explicit feature cross",
    "Embedding": "one learned vector per id",
    "Dense": "learned linear map (+ activation)",
    "RatedMovies": "the training split's who-rated-what matrix (data, not saved)",
    "AccidentalHitRemoval": "keras-rs: masks in-batch duplicates of the positive (training only)",
    "SamplingProbabilityCorrection": "keras-rs: logQ correction of in-batch negatives (training only)",
}


def _shape(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_shape(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(_shape(v) for v in value.values())
    dims = tuple(getattr(value, "shape", ()))
    return "(" + ", ".join([BATCH, *(str(int(d)) for d in dims[1:])]) + ")" if dims else "scalar"


def _params(layer: keras.layers.Layer) -> int:
    return int(sum(np.prod(w.shape) for w in layer.trainable_weights))


def layer_table(model: keras.Model) -> list[dict[str, Any]]:
    """One row per layer: path, type, output shape, trainable parameters and its role.

    Args:
        model: a built model of any family (it is called once on a dummy batch).
    """
    rows: list[dict[str, Any]] = []
    layers = list(model._flatten_layers(include_self=False, recursive=True))
    path = {id(layer): layer.name for layer in layers}
    for parent in layers:  # "query_tower/query_mlp/query_mlp_dense_0"
        for child in parent._flatten_layers(include_self=False, recursive=False):
            path[id(child)] = f"{path[id(parent)]}/{child.name}"
    originals = {}
    for layer in layers:
        originals[id(layer)] = layer.call

        @functools.wraps(layer.call)
        def traced(*args: Any, _layer: keras.layers.Layer = layer, **kwargs: Any) -> Any:
            row = {"layer": path[id(_layer)], "type": type(_layer).__name__}
            rows.append(row)
            out = originals[id(_layer)](*args, **kwargs)
            row["output shape"] = _shape(out)
            return out

        layer.call = traced
    try:
        if isinstance(model, RatingModel):
            model(dummy_rating_inputs(model.n_dense, model.vocab_sizes["genre"]))
        else:
            model(dummy_tower_inputs(model.vocab_sizes["genre"]))
    finally:
        for layer in layers:
            del layer.call  # the instance attribute: the class's own `call` again
    called = {row["layer"] for row in rows}
    for layer in layers:
        if path[id(layer)] in called or layer._flatten_layers(include_self=False):
            continue
        if layer.weights:
            where = "table " + " x ".join(str(int(d)) for d in layer.weights[0].shape) + ", read directly"
        else:
            where = "in the training loss only"
        rows.append({"layer": path[id(layer)], "type": type(layer).__name__, "output shape": where})
    by_path = {path[id(layer)]: layer for layer in layers}
    for row in rows:
        layer = by_path[row["layer"]]
        row["parameters"] = _params(layer)
        row["depth"] = row["layer"].count("/")
        row["role"] = ROLES.get(row["type"], "")
    return rows


def retrieval_row(n_movies: int, dim: int, k: int = 10) -> dict[str, Any]:
    """The serving stage after the candidate tower: keras-rs BruteForceRetrieval over every movie."""
    return {
        "layer": "brute_force_retrieval (serving)",
        "type": "BruteForceRetrieval",
        "output shape": f"top {k}: ids ({BATCH}, {k}), scores ({BATCH}, {k}) from {n_movies} x {dim} movie vectors",
        "parameters": 0,
        "depth": 0,
        "role": "keras-rs: exact top-k of query . movie over all candidate vectors (built after training)",
    }


def architecture(model: keras.Model) -> list[dict[str, Any]]:
    """`layer_table`, plus the retrieval stage for two-tower models."""
    rows = layer_table(model)
    if isinstance(model, TwoTowerModel):
        rows.append(retrieval_row(model.vocab_sizes["movie_id"] - 1, model.layer_sizes[-1]))
    return rows


def architecture_of_config(kind: str, config: Any, vocab_sizes: dict[str, int]) -> list[dict[str, Any]]:
    """The architecture a family's config builds (untrained weights: shapes and counts are the same)."""
    return architecture(family(kind).build(config, vocab_sizes))
