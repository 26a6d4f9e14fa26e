"""Top-k over the movie vectors through an index: exact brute force (keras-rs
`BruteForceRetrieval`, what serving uses) or an approximate Faiss index (IVF or HNSW); a list with
the seen movies left out, and its recall against the exact list.

Both Faiss indexes search for the largest inner product through the nearest-neighbour transform
(Bachrach et al., 2014): each movie vector gets one more coordinate, sqrt(max_norm^2 - |x|^2), and
each query a 0, so that the nearest movie in Euclidean distance is the one with the largest dot
product. On the towers' vectors it lifts IVF's recall@10 from about 0.73 to 0.99 at the same
nprobe (docs/benchmarks.md). Faiss rather than ScaNN (the index keras-rs shows): ScaNN 1.4.2's
TensorFlow op library is built for TensorFlow 2.20 and does not load beside our 2.21.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import faiss
import keras
import numpy as np

from recexplore.config.retrieval_index import EF_CONSTRUCTION, EXACT, HNSW, IndexConfig
from recexplore.families import RETRIEVAL_INDEX, families, family
from recexplore.models.towers import make_retrieval


class RetrievalIndexError(ValueError):
    """A bad index request (a setting out of range, a model with no movie vectors) in one line."""


def index_config(**settings: Any) -> IndexConfig:
    """An IndexConfig of `settings` (None: the default), or RetrievalIndexError naming the setting."""
    try:
        return IndexConfig.from_dict({k: v for k, v in settings.items() if v is not None})
    except ValueError as err:
        raise RetrievalIndexError(str(err)) from None


def check_indexable(name: str, kind: str) -> None:
    """RetrievalIndexError unless model `name`'s family (`kind`) declares movie vectors to index."""
    if not family(kind).offers(RETRIEVAL_INDEX):
        having = ", ".join(f.name for f in families(view=RETRIEVAL_INDEX))
        raise RetrievalIndexError(
            f"model {name!r} is a {kind} model: it has no movie vectors to serve through an index "
            f"(families with one: {having})"
        )


def _augmented(vectors: np.ndarray, max_norm: float) -> np.ndarray:
    """Movie vectors with the coordinate sqrt(max_norm^2 - |x|^2): Euclidean order = dot-product order."""
    norms = np.einsum("ij,ij->i", vectors, vectors)
    extra = np.sqrt(np.maximum(max_norm * max_norm - norms, 0.0))
    return np.ascontiguousarray(np.hstack([vectors, extra[:, None]]), dtype=np.float32)


@dataclass
class MovieIndex:
    """An index over (n_movies, dim) movie vectors: rows are 0-based positions in those vectors."""

    config: IndexConfig
    vectors: np.ndarray
    build_seconds: float
    memory_bytes: int
    _index: Any = field(repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def build(cls, vectors: np.ndarray, config: IndexConfig) -> MovieIndex:
        """Build the index `config` asks for over `vectors` (timed; its size measured)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        started = time.perf_counter()
        if config.kind == EXACT:
            index = make_retrieval(vectors, np.arange(n), k=1)
            memory = vectors.nbytes
        else:
            data = _augmented(vectors, float(np.sqrt(np.einsum("ij,ij->i", vectors, vectors).max(initial=0.0))))
            if config.kind == HNSW:
                index = faiss.IndexHNSWFlat(dim + 1, config.hnsw_m)
                index.hnsw.efConstruction = EF_CONSTRUCTION
            else:
                try:
                    lists = config.lists(n)
                except ValueError as err:
                    raise RetrievalIndexError(str(err)) from None
                index = faiss.IndexIVFFlat(faiss.IndexFlatL2(dim + 1), dim + 1, lists)
                index.cp.min_points_per_centroid = 1  # a few movies per list is the point at small sizes: no warning
                index.train(data)
            index.add(data)
            memory = len(faiss.serialize_index(index))
        return cls(config, vectors, time.perf_counter() - started, memory, index)

    @property
    def n_movies(self) -> int:
        """Movies in the index."""
        return len(self.vectors)

    @property
    def label(self) -> str:
        """'HNSW (M=32, efSearch=64)': the index and its settings, as pages and the CLI show it."""
        return self.config.label(self.n_movies)

    def searched_with(self, config: IndexConfig) -> MovieIndex:
        """This index searched with `config`'s search settings (nprobe, efSearch): nothing rebuilt."""
        return MovieIndex(config, self.vectors, self.build_seconds, self.memory_bytes, self._index, self._lock)

    def search(self, queries: np.ndarray, k: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(n_queries, k) rows and dot-product scores of each query's best k, best first; an
        approximate index that finds fewer than k fills the rest with row -1 and score -inf.
        `exclude` (rows; a Faiss index only) are skipped inside the search, so they take no place."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = int(min(k, self.n_movies))
        if self.config.kind == EXACT:
            with self._lock:  # the layer's k is state: one search at a time sets it and reads the index
                self._index.k = k
                scores, rows = self._index(keras.ops.convert_to_tensor(queries))
            return keras.ops.convert_to_numpy(rows).astype(np.int64), keras.ops.convert_to_numpy(scores)
        padded = np.hstack([queries, np.zeros((len(queries), 1), np.float32)])
        skip = None if exclude is None or not len(exclude) else faiss.IDSelectorBatch(np.asarray(exclude, np.int64))
        chosen = {} if skip is None else {"sel": faiss.IDSelectorNot(skip)}
        if self.config.kind == HNSW:
            params = faiss.SearchParametersHNSW(efSearch=max(self.config.ef_search, k), **chosen)
        else:
            params = faiss.SearchParametersIVF(nprobe=min(self.config.nprobe, self._index.nlist), **chosen)
        _, rows = self._index.search(padded, k, params=params)
        found = rows >= 0
        scores = np.where(found, np.einsum("qkd,qd->qk", self.vectors[np.maximum(rows, 0)], queries), -np.inf)
        return rows.astype(np.int64), scores.astype(np.float32)

    def top_k(self, query: np.ndarray, exclude: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """One query's best k rows and scores with the rows in `exclude` left out: brute force is
        asked for k + len(exclude) (as `Recommender.top_k` asks it), a Faiss index skips them while
        it searches (a selector); a list it cannot fill from the lists it probes comes back shorter."""
        if self.config.kind == EXACT:
            rows, scores = self.search(query, k + len(exclude))
        else:
            rows, scores = self.search(query, k, exclude)
        keep = (rows[0] >= 0) & ~np.isin(rows[0], exclude)
        return rows[0][keep][:k], scores[0][keep][:k]


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    """Share of the exact list's entries that the found list holds (|found & exact| / |exact|);
    1.0 for an empty exact list."""
    exact = np.asarray(exact).ravel()
    return float(np.isin(exact, np.asarray(found).ravel()).mean()) if len(exact) else 1.0


def mean_recall(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean recall of each row of `found` (n_queries, k) against the same row of `exact`."""
    return float(np.mean([recall(f, e) for f, e in zip(found, exact, strict=True)]))
