"""Embedding geometry: PCA via SVD and cosine nearest neighbours (numpy), t-SNE (scikit-learn)."""

from __future__ import annotations

from typing import Any

import numpy as np


def pca(points: np.ndarray, n_components: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Project points onto their leading principal components.

    Args:
        points: array of shape (n, d), one row per point.
        n_components: how many components to keep (at most d).

    Returns:
        (coords, explained): coords of shape (n, n_components) and the share of the
        total variance each component explains (zeros when all points coincide).
        Components beyond the rank of the data are padded with zero columns.

    Raises:
        ValueError: points is not 2-D, has no rows, or n_components is not positive.
    """
    x = np.asarray(points, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"points must be a non-empty 2-D array, got shape {x.shape}")
    if n_components < 1:
        raise ValueError(f"n_components must be >= 1, got {n_components!r}")
    centred = x - x.mean(axis=0, keepdims=True)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    # Fix the sign of each component (largest |loading| positive) so results are reproducible.
    signs = np.sign(vt[np.arange(len(vt)), np.argmax(np.abs(vt), axis=1)])
    signs[signs == 0] = 1.0
    vt = vt * signs[:, None]
    keep = min(n_components, len(vt))
    coords = np.zeros((len(x), n_components))
    coords[:, :keep] = centred @ vt[:keep].T
    variance = singular**2
    total = float(variance.sum())
    explained = np.zeros(n_components)
    if total > 0:
        explained[:keep] = variance[:keep] / total
    return coords, explained


def cosine_similarities(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of `vectors` with `query` (0 for zero-length vectors)."""
    v = np.asarray(vectors, dtype=np.float64)
    q = np.asarray(query, dtype=np.float64)
    norms = np.linalg.norm(v, axis=1) * np.linalg.norm(q)
    dots = v @ q
    return np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)


def nearest_neighbours(vectors: np.ndarray, index: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k rows most cosine-similar to row `index`, the row itself excluded.

    Args:
        vectors: array of shape (n, d).
        index: the query row.
        k: how many neighbours (capped at n - 1).

    Returns:
        (indices, similarities), most similar first; ties keep the lower index first.

    Raises:
        ValueError: index out of range or k not positive.
    """
    v = np.asarray(vectors)
    if not 0 <= index < len(v):
        raise ValueError(f"index must be in [0, {len(v)}), got {index!r}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k!r}")
    sims = cosine_similarities(v, v[index])
    order = np.argsort(-sims, kind="stable")
    order = order[order != index][:k]
    return order, sims[order]


TSNE_PERPLEXITY = 30.0
TSNE_MAX_MOVIES = 4_000  # t-SNE maps at most this many movies, the most rated (ML-100K and ML-1M: all of them)


def tsne(points: np.ndarray, seed: int = 0) -> np.ndarray:
    """A seeded 2-D t-SNE of the rows (scikit-learn, PCA-initialised, cosine distances).

    t-SNE keeps each point's near neighbours near and says little about far distances or
    cluster sizes; it takes seconds on the 1,682 movies, so callers cache it per model (and map a
    large catalogue's most-rated movies only: `tsne_map`).
    """
    from sklearn.manifold import TSNE

    x = np.asarray(points, dtype=np.float64)
    perplexity = min(TSNE_PERPLEXITY, max(1.0, (len(x) - 1) / 3.0))
    return TSNE(
        n_components=2, perplexity=perplexity, init="pca", metric="cosine", random_state=seed, max_iter=500
    ).fit_transform(x)


def tsne_map(points: np.ndarray, ratings: np.ndarray, seed: int = 0, limit: int = TSNE_MAX_MOVIES) -> dict[str, Any]:
    """`tsne` of at most `limit` movies, the most rated (t-SNE takes minutes on tens of thousands).

    Args:
        points: (n, d) one row per movie.
        ratings: (n,) each movie's rating count (NaN counts as 0); ties keep the lower row.
        seed: t-SNE's seed.
        limit: the most movies mapped.

    Returns:
        {"coords": (n, 2), NaN rows for movies left off the map; "mapped": (n,) bool; "shown" and
        "total": how many movies are mapped, of how many; "note": '' when every movie is mapped,
        else a caption such as 't-SNE of the 4,000 most-rated movies of 62,423'}.
    """
    x = np.asarray(points, dtype=np.float64)
    total = len(x)
    mapped = np.ones(total, dtype=bool)
    if total <= limit:
        return {"coords": tsne(x, seed), "mapped": mapped, "shown": total, "total": total, "note": ""}
    counts = np.nan_to_num(np.asarray(ratings, dtype=np.float64), nan=0.0)
    mapped[:] = False
    mapped[np.argsort(-counts, kind="stable")[:limit]] = True
    coords = np.full((total, 2), np.nan)
    coords[mapped] = tsne(x[mapped], seed)
    note = f"t-SNE of the {limit:,} most-rated movies of {total:,}"
    return {"coords": coords, "mapped": mapped, "shown": int(limit), "total": total, "note": note}
