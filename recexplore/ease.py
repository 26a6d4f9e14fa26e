"""EASE (Steck, 2019): a closed-form linear item-item model, the hard baseline beside every retrieval number.

With X the users x items 0/1 training matrix and G = X'X, EASE's weights are
B = I - P diag(1/diag(P)) with P = (G + lambda I)^-1, i.e. B_ij = -P_ij / P_jj and B_jj = 0,
and a user's scores are their row of X B. One eigendecomposition of G gives P for every
lambda at the cost of a matrix product, so lambda is chosen on a validation slice of the
training part (never on test rows) for about the price of one fit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import lapack

from recexplore.evaluation import HIT_RATE_KS, hits_at
from recexplore.ranking_metrics import LIST_METRICS, K

EASE_LAMBDAS = (50.0, 100.0, 200.0, 300.0, 500.0, 1000.0, 2000.0)  # the validation grid
CHOOSE_K = 10  # lambda is chosen by validation hit-rate at this cutoff
TEACHER_MASKED = np.float32(-1e9)  # a teacher logit no item the user rated can beat


@dataclass(frozen=True)
class Gram:
    """The eigendecomposition of X'X, shared by every lambda."""

    values: np.ndarray
    vectors: np.ndarray

    @classmethod
    def of(cls, matrix: np.ndarray) -> Gram:
        x = np.asarray(matrix, dtype=np.float64)
        values, vectors = np.linalg.eigh(x.T @ x)
        return cls(values, vectors)

    def weights(self, lam: float) -> np.ndarray:
        """EASE's item-item weights B for one lambda (zero diagonal)."""
        if not lam > 0:
            raise ValueError(f"lambda must be positive, got {lam!r}")
        return _weights_of((self.vectors / (self.values + lam)) @ self.vectors.T)


def _weights_of(p: np.ndarray) -> np.ndarray:
    """B from P = (G + lambda I)^-1: B_ij = -P_ij / P_jj, zero diagonal."""
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    return b


def ease_weights(matrix: np.ndarray, lam: float) -> np.ndarray:
    """EASE's B for a users x items 0/1 matrix and one lambda (one inverse: a third of the
    eigendecomposition `Gram` shares between lambdas)."""
    if not lam > 0:
        raise ValueError(f"lambda must be positive, got {lam!r}")
    x = np.asarray(matrix, dtype=np.float32)  # 0/1: the co-counts are exact in float32
    gram = (x.T @ x).astype(np.float64)
    gram[np.diag_indices_from(gram)] += lam
    return _weights_of(_spd_inverse(gram))


def _spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric positive definite matrix by its Cholesky factor (LAPACK
    potrf/potri: about a third of the time of a general inverse)."""
    factor, info = lapack.dpotrf(matrix, lower=True)
    if info == 0:
        inverse, info = lapack.dpotri(factor, lower=True)
    if info != 0:  # not positive definite in floating point: the general inverse
        return np.linalg.inv(matrix)
    return np.tril(inverse) + np.tril(inverse, -1).T


@dataclass(frozen=True)
class EaseFit:
    """The lambda chosen on validation, and each candidate's validation hit-rate."""

    lam: float
    validation: dict[float, float]


def choose_lambda(
    fit_matrix: np.ndarray, val_users: np.ndarray, val_items: np.ndarray, lambdas: tuple[float, ...] = EASE_LAMBDAS
) -> EaseFit:
    """Pick lambda by hit-rate@CHOOSE_K on validation rows, with `fit_matrix` (training minus
    the validation slice) as the only input and its items excluded."""
    gram = Gram.of(fit_matrix)
    seen = np.asarray(fit_matrix).astype(bool)
    scores_of = {}
    for lam in lambdas:
        scores = np.asarray(fit_matrix, dtype=np.float32) @ gram.weights(lam).astype(np.float32)
        scores_of[lam] = float(np.mean(hits_at(scores, val_users, val_items, exclude=seen, ks=(CHOOSE_K,))[CHOOSE_K]))
    best = max(scores_of, key=lambda lam: (scores_of[lam], -lam))  # ties: the stronger regularisation
    return EaseFit(best, scores_of)


def ease_scores(train_matrix: np.ndarray, lam: float) -> np.ndarray:
    """(users, items) EASE scores of every user, fitted on the whole training matrix."""
    x = np.asarray(train_matrix, dtype=np.float32)
    return x @ ease_weights(train_matrix, lam).astype(np.float32)


def teacher_logits(train_matrix: np.ndarray, lam: float, temperature: float) -> np.ndarray:
    """EASE scores / `temperature` as the two towers' distillation teacher (`TwoTowerModel`),
    with every training item of a user, and the padding row and column 0, at TEACHER_MASKED:
    the teacher only ranks what the user has not rated, as the evaluation does."""
    logits = ease_scores(train_matrix, lam) / np.float32(temperature)
    logits[np.asarray(train_matrix).astype(bool)] = TEACHER_MASKED
    logits[0, :] = TEACHER_MASKED
    logits[:, 0] = TEACHER_MASKED
    return logits


def ease_report(data: Any, split: Any, seed: int = 42) -> dict[str, Any]:
    """EASE's hit-rates and list metrics on a split's test rows (training movies excluded, as for
    every model), with lambda chosen on a seeded validation slice of the training part, and its
    per-user values (`ease_per_user`) for paired tests against the models."""
    from recexplore.beyond_accuracy import Target, user_values
    from recexplore.data import validation_slice
    from recexplore.features import FeatureSpace, Vocabularies
    from recexplore.ranking_metrics import prefixed

    space = FeatureSpace(Vocabularies.build(data), data)
    fit_part, val = validation_slice(split.train, seed)
    choice = choose_lambda(
        space.interaction_matrix(fit_part), space.user_index(val["user_id"]), space.movie_index(val["movie_id"])
    )
    target = Target.of(space, split)
    scores = ease_scores(target.seen.astype(np.int8), choice.lam)
    hits = hits_at(scores, target.test_users, target.test_items, exclude=target.seen, ks=HIT_RATE_KS)
    lists = target.lists(scores)
    return {
        "ease_hit_rate_at_10": float(np.mean(hits[10])),
        "ease_hit_rate_at_100": float(np.mean(hits[100])),
        "ease_lambda": choice.lam,
        **prefixed(target.report(lists), "ease_"),
        "ease_per_user": user_values(lists, target),
    }


# The cached report's numbers (its per-user values travel beside them, read by `per_user_if_ready`).
REPORT_KEYS = (
    "ease_hit_rate_at_10",
    "ease_hit_rate_at_100",
    "ease_lambda",
    *(f"ease_{m}_at_{K}" for m in LIST_METRICS),
)


def _cache_file(data: Any, split_name: str, split_seed: int, seed: int) -> Any:
    from recexplore.data import cache_dir

    return cache_dir() / "baselines" / f"ease-{data.fingerprint}-{split_name}-{split_seed}-{seed}.json"


def cached_report(data: Any, split: Any, seed: int = 42) -> dict[str, float]:
    """`ease_report`, computed once per (data, split, seed) on this machine and kept in the cache."""
    import json

    path = _cache_file(data, split.name, split.seed, seed)
    ready = cached_report_if_ready(data, split.name, split.seed, seed)
    if ready is not None:
        return ready
    report = ease_report(data, split, seed)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(report))
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache only costs the recomputation
    return {k: float(report[k]) for k in REPORT_KEYS}


def cached_report_with_users(data: Any, split: Any, seed: int = 42) -> tuple[dict[str, float], dict[str, list[float]]]:
    """`cached_report` and EASE's per-user values on the split (from the cache, or computed once
    more where the cache could not be written)."""
    report = cached_report(data, split, seed)
    users = per_user_if_ready(data, split.name, split.seed, seed)
    return report, users if users is not None else ease_report(data, split, seed)["ease_per_user"]


def cached_report_if_ready(data: Any, split_name: str, split_seed: int, seed: int = 42) -> dict[str, float] | None:
    """The cached EASE report of a split (by name and seed), or None when it has not been
    computed yet; it never computes, nor even makes the split."""
    import json

    try:
        report = json.loads(_cache_file(data, split_name, split_seed, seed).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(report, dict) or not all(isinstance(report.get(k), (int, float)) for k in REPORT_KEYS):
        return None  # an older cache (before the list metrics) or a damaged one: computed again
    return {k: float(report[k]) for k in REPORT_KEYS}


def per_user_if_ready(data: Any, split_name: str, split_seed: int, seed: int = 42) -> dict[str, list[float]] | None:
    """EASE's cached per-user values on a split (for paired tests), or None when not computed yet."""
    import json

    try:
        found = json.loads(_cache_file(data, split_name, split_seed, seed).read_text()).get("ease_per_user")
    except (OSError, ValueError, AttributeError):
        return None
    ok = isinstance(found, dict) and all(isinstance(found.get(k), list) for k in ("hits", "relevant", "ndcg"))
    return found if ok else None
