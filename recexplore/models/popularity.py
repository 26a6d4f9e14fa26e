"""The popularity peer: every movie scored by how many training users rated it."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from recexplore.models.score_rows import ZeroOne, axis_counts


def popularity_scores(train_matrix: ZeroOne) -> np.ndarray:
    """(1, n_items) training-interaction counts: the popularity baseline's scores."""
    if sparse.issparse(train_matrix):
        return axis_counts(train_matrix, 0)[None, :].astype(np.float64)
    matrix = np.asarray(train_matrix)
    if matrix.dtype.kind in "biu":  # counted without a float copy of the matrix
        return matrix.sum(axis=0, dtype=np.int64, keepdims=True).astype(np.float64)
    return matrix.astype(np.float64, copy=False).sum(axis=0, keepdims=True)
