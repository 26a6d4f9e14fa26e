"""EASE (Steck, 2019): a closed-form linear item-item model, the hard baseline beside every retrieval number.

With X the users x items 0/1 training matrix and G = X'X, EASE's weights are
B = I - P diag(1/diag(P)) with P = (G + lambda I)^-1, i.e. B_ij = -P_ij / P_jj and B_jj = 0,
and a user's scores are their row of X B. G is made once and each lambda is one float32 Cholesky
inverse of G + lambda I, so lambda is chosen on a validation slice of the training part (never on
test rows) for a few fits' price.

G, P and B are items x items (float32, a few copies: `memory.EASE_COPIES`), so a large
catalogue is fitted on its M most-rated training movies only (`fitted_columns`; M from the
available memory, `ease_item_cap`): the other movies score -inf and never enter a list. Every
catalogue up to EASE_MIN_ITEMS movies (ML-100K, ML-1M) is always fitted whole.

X may be dense or a scipy sparse matrix (`FeatureSpace.interaction_csr`): a sparse X's Gram is a
sparse product on the kept columns (dense only as the M x M result), and its score rows are made
dense a batch of users at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.linalg import lapack

from recexplore.config import memory
from recexplore.models.popularity import popularity_scores
from recexplore.models.score_rows import ScoreRows, ZeroOne, batch_users

EASE_LAMBDAS = (50.0, 100.0, 200.0, 300.0, 500.0, 1000.0, 2000.0)  # the validation grid
CHOOSE_K = 10  # lambda is chosen by validation hit-rate at this cutoff
TEACHER_MASKED = np.float32(-1e9)  # a teacher logit no item the user rated can beat
ITEMS_KEY = "ease_items"  # in a report only when EASE was fitted on fewer movies than the catalogue has


def fitted_columns(matrix: ZeroOne, cap: int | None = None) -> np.ndarray | None:
    """The columns an EASE fit of the users x items `matrix` keeps: None (every one) when its movies
    (columns 1..) number at most `cap` (default: `ease_item_cap()`, asked only for a catalogue over
    memory.EASE_MIN_ITEMS), else the `cap` most-rated movies (ties: the lower index), ascending."""
    n_movies = np.shape(matrix)[1] - 1
    if n_movies <= memory.EASE_MIN_ITEMS and cap is None:
        return None
    cap = memory.ease_item_cap() if cap is None else int(cap)
    if n_movies <= cap:
        return None
    counts = popularity_scores(matrix)[0]
    counts[0] = -1  # the OOV column is never a movie
    return np.sort(np.argsort(-counts, kind="stable")[:cap])


def _gram(matrix: ZeroOne, columns: np.ndarray | None) -> np.ndarray:
    """X'X (float32: integer co-counts, exact below 2^24 users) of the 0/1 matrix (at `columns`),
    summed a batch of users at a time (a sparse X: `_sparse_gram`)."""
    if sparse.issparse(matrix):
        return _sparse_gram(matrix, columns)
    x = np.asarray(matrix)
    n = x.shape[1] if columns is None else len(columns)
    gram = np.zeros((n, n), dtype=np.float32)
    step = batch_users(n)
    for start in range(0, len(x), step):
        part = x[start : start + step] if columns is None else x[start : start + step][:, columns]
        part = part.astype(np.float32)
        gram += part.T @ part
    return gram


def _sparse_gram(matrix: sparse.csr_matrix, columns: np.ndarray | None) -> np.ndarray:
    """X'X (float32) of a sparse 0/1 X (at `columns`) as sparse int32 products, a block of Gram
    columns at a time (`batch_users` of them: each block's result at most a score batch's cells):
    the same integer co-counts as the dense sum, never a users x items array."""
    x = sparse.csc_matrix(matrix if columns is None else matrix[:, columns], dtype=np.int32)
    n = x.shape[1]
    transposed = x.T.tocsr()
    gram = np.zeros((n, n), dtype=np.float32)
    step = batch_users(n)
    for start in range(0, n, step):
        gram[:, start : start + step] = (transposed @ x[:, start : start + step]).toarray()
    return gram


@dataclass(frozen=True)
class Gram:
    """X'X, made once and shared by every lambda of a search: each lambda is one float32 Cholesky
    inverse of G + lambda I. At 4,000 movies that costs what the product of an eigendecomposition's
    factors cost per lambda (1.9 s) without the eigendecomposition itself (8 s)."""

    matrix: np.ndarray

    @classmethod
    def of(cls, matrix: ZeroOne, columns: np.ndarray | None = None) -> Gram:
        """Of the 0/1 users x items `matrix`, at `columns` only when given."""
        return cls(_gram(matrix, columns))

    def weights(self, lam: float) -> np.ndarray:
        """EASE's item-item weights B for one lambda (zero diagonal)."""
        if not lam > 0:
            raise ValueError(f"lambda must be positive, got {lam!r}")
        shifted = self.matrix.copy()
        shifted[np.diag_indices_from(shifted)] += lam
        return _weights_of(_spd_inverse(shifted))


def _weights_of(p: np.ndarray) -> np.ndarray:
    """B from P = (G + lambda I)^-1: B_ij = -P_ij / P_jj, zero diagonal (in P's place)."""
    p /= -np.diag(p).copy()[None, :]
    np.fill_diagonal(p, 0.0)
    return p


def _fit(matrix: ZeroOne, lam: float, columns: np.ndarray | None) -> np.ndarray:
    """B (float32) on `columns` of the 0/1 matrix (every column: None), one Cholesky inverse."""
    return Gram.of(matrix, columns).weights(lam)


def ease_weights(matrix: ZeroOne, lam: float) -> np.ndarray:
    """EASE's B for a users x items 0/1 matrix and one lambda, on every column (one Cholesky
    inverse). items x items: for a catalogue of any size, `fit_ease`."""
    return _fit(matrix, lam, None)


@dataclass(frozen=True, eq=False)
class EaseWeights:
    """EASE fitted on `columns` of a catalogue (None: every column): its float32 B over them."""

    weights: np.ndarray  # (m, m)
    columns: np.ndarray | None

    @property
    def capped(self) -> bool:
        """Whether some movies were left out (they score -inf)."""
        return self.columns is not None

    @property
    def items(self) -> int:
        """How many movies the fit holds (the OOV column not counted)."""
        return len(self.columns) if self.columns is not None else len(self.weights) - 1

    def score_rows(self, matrix: ZeroOne) -> ScoreRows:
        """The EASE scores of the users of the 0/1 users x items `matrix` (dense or sparse: their
        rows of X B, -inf outside the fitted columns), made a batch of users at a time."""
        return ScoreRows.product(matrix, self.weights, left_dtype=np.float32, columns=self.columns)

    def scores(self, matrix: ZeroOne) -> np.ndarray:
        """(rows, n_items) scores of the users whose 0/1 rows `matrix` (dense or sparse) holds, in one
        piece (a few users: a recommendation list)."""
        return self.score_rows(matrix if sparse.issparse(matrix) else np.asarray(matrix)).full()


def fit_ease(matrix: ZeroOne, lam: float, cap: int | None = None) -> EaseWeights:
    """EASE on a users x items 0/1 matrix: every movie when the catalogue fits `cap` (default
    `ease_item_cap()`), else its `cap` most-rated training movies (`fitted_columns`)."""
    columns = fitted_columns(matrix, cap)
    return EaseWeights(_fit(matrix, lam, columns).astype(np.float32), columns)


def ease_rows(matrix: ZeroOne, weights: np.ndarray | EaseWeights) -> ScoreRows:
    """EASE scores of `matrix`'s users by `fit_ease`'s weights or a full items x items B (float32
    rows @ B), made a batch of users at a time."""
    if isinstance(weights, EaseWeights):
        return weights.score_rows(matrix)
    return ScoreRows.product(matrix, weights, left_dtype=np.float32)


def _spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """The float32 inverse of a symmetric positive definite matrix by its float32 Cholesky factor
    (LAPACK spotrf/spotri: about a third of the time of a general inverse, and a fifth of float64's
    at 10,000 movies, 11 s against 54 s; EASE's scores are float32 anyway, and its hit rates and NDCG
    on ML-100K and a 10,000-movie set agree to every digit with float64's)."""
    factor, info = lapack.spotrf(np.asarray(matrix, dtype=np.float32), lower=True)
    if info == 0:
        inverse, info = lapack.spotri(factor, lower=True, overwrite_c=True)
    if info != 0:  # not positive definite in floating point: the general inverse
        return np.linalg.inv(matrix).astype(np.float32)
    return _mirrored(inverse)


def _mirrored(lower: np.ndarray, block: int = 1024) -> np.ndarray:
    """`lower`'s lower triangle copied onto its upper one, in place, a block of rows at a time (whole
    triangles would cost several items x items copies)."""
    n = len(lower)
    for start in range(0, n, block):
        end = min(start + block, n)
        diagonal = lower[start:end, start:end]
        diagonal[:] = np.tril(diagonal) + np.tril(diagonal, -1).T
        lower[start:end, end:] = lower[end:, start:end].T
    return lower


@dataclass(frozen=True)
class EaseFit:
    """The lambda chosen on validation, and each candidate's validation hit-rate."""

    lam: float
    validation: dict[float, float]


def ease_scores(train_matrix: ZeroOne, lam: float) -> np.ndarray:
    """(users, items) float32 EASE scores of every user in one piece, fitted on the whole training
    matrix (`fit_ease`: on its most-rated movies for a large catalogue, the others -inf)."""
    return fit_ease(train_matrix, lam).score_rows(train_matrix).full()


def teacher_logits(train_matrix: ZeroOne, lam: float, temperature: float) -> np.ndarray:
    """EASE scores / `temperature` as the two towers' distillation teacher (`TwoTowerModel`),
    with every training item of a user, the padding row and column 0 (and any movie EASE left
    out) at TEACHER_MASKED: the teacher only ranks what the user has not rated, as the evaluation
    does."""
    logits = ease_scores(train_matrix, lam) / np.float32(temperature)
    logits[~np.isfinite(logits)] = TEACHER_MASKED
    if sparse.issparse(train_matrix):
        logits[train_matrix.nonzero()] = TEACHER_MASKED
    else:
        logits[np.asarray(train_matrix).astype(bool)] = TEACHER_MASKED
    logits[0, :] = TEACHER_MASKED
    logits[:, 0] = TEACHER_MASKED
    return logits
