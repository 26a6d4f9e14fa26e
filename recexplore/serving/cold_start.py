"""Cold start: fold a new user into a two-tower model's query space from a few star ratings.

The query vector is fitted, not averaged: a MAP estimate under the model's own scoring,

    sum over liked movies   w * (logsumexp(z) - z_i)                  softmax likelihood, as in training
  + sum over disliked ones  w * softplus(z_j - logsumexp(z) + log n)  "below an average movie"
  + (l2 / 2) * (q - m)' P (q - m)                                      Gaussian prior

with z = C q / temperature the model's logits over all n candidates, and m, P the mean and
inverse covariance of the known users' query vectors (where real users lie in this model's
query space; the query tower's unknown-user vector sits far from them, at a fifth of their
norm). A few damped Newton steps from m converge. A liked movie pulls the query towards the
movies the model thinks are watched with it; a disliked one is pushed below an average movie,
which moves the query away from that movie's neighbourhood. The star-weighted mean of
candidate vectors this replaced flipped the shared popularity direction instead, and scored
below popularity (bench/cold_start_bench.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Stars -> signed weight: 3-5 are watches worth repeating (more for more stars), 1-2 push away.
# Chosen on tuning users' training ratings (bench/cold_start_bench.py): watching at all predicts
# what someone watches next far better than how much they liked it, so the liked weights are
# close together, and dislikes push gently enough not to throw that evidence away.
STAR_WEIGHTS: dict[int, float] = {5: 1.5, 4: 1.0, 3: 0.75, 2: -0.5, 1: -1.0}
FOLD_IN_L2 = 1.0  # strength of the prior over query vectors (1: plain Bayesian MAP)
FOLD_IN_STEPS = 8  # damped Newton steps (converged to ~1e-6 on MovieLens by 5-6)


@dataclass(frozen=True)
class Prior:
    """A Gaussian over query vectors: where the model's known users lie."""

    mean: np.ndarray
    precision: np.ndarray

    @classmethod
    def of_users(cls, query_vectors: np.ndarray, ridge: float = 1e-3) -> Prior:
        """Mean and inverse covariance of known users' query vectors (ridge: share of the mean variance)."""
        q = np.asarray(query_vectors, dtype=np.float64)
        cov = np.atleast_2d(np.cov(q, rowvar=False))
        cov += ridge * float(np.trace(cov)) / len(cov) * np.eye(len(cov))
        return cls(q.mean(axis=0), np.linalg.inv(cov))


@dataclass(frozen=True)
class FoldIn:
    """A fitted query vector and how it was found."""

    query: np.ndarray
    loss: float
    steps: int


def star_weights(stars: np.ndarray) -> np.ndarray:
    """Signed weights of 1-5 star ratings (rounded to whole stars): liked > 0, disliked < 0."""
    whole = np.clip(np.rint(np.asarray(stars, dtype=np.float64)), 1, 5).astype(int)
    return np.array([STAR_WEIGHTS[int(s)] for s in whole], dtype=np.float64)


def _loss_grad_hess(
    q: np.ndarray, cand: np.ndarray, tau: float, rows: np.ndarray, weights: np.ndarray, prior: Prior, l2: float
) -> tuple[float, np.ndarray, np.ndarray]:
    """Objective, gradient and Hessian (in q) of the fold-in problem."""
    z = cand @ q / tau
    top = z.max()
    lse = top + np.log(np.exp(z - top).sum())
    p = np.exp(z - lse)
    mean_c = p @ cand  # E_p[c]
    cov = (cand * p[:, None]).T @ cand - np.outer(mean_c, mean_c)  # Cov_p[c]
    n = len(z)
    diff = q - prior.mean
    pull = l2 * prior.precision
    loss = 0.5 * float(diff @ pull @ diff)
    grad = pull @ diff
    hess = pull.copy()
    liked, disliked = weights > 0, weights < 0
    if liked.any():
        w = weights[liked]
        loss += float(np.sum(w * (lse - z[rows[liked]])))
        grad += (w.sum() * mean_c - w @ cand[rows[liked]]) / tau
        hess += w.sum() * cov / tau**2
    for row, w in zip(rows[disliked], -weights[disliked], strict=True):
        margin = z[row] - lse + np.log(n)  # > 0: more likely than an average movie
        s = 0.5 * (1.0 + np.tanh(0.5 * margin))  # sigmoid, without overflow
        loss += float(w * np.logaddexp(0.0, margin))
        d = (cand[row] - mean_c) / tau
        grad += w * s * d
        hess += w * (s * (1 - s) * np.outer(d, d) - s * cov / tau**2)
    return loss, grad, hess


def fit_query(
    candidates: np.ndarray,
    temperature: float,
    rows: np.ndarray,
    stars: np.ndarray,
    prior: Prior,
    l2: float = FOLD_IN_L2,
    steps: int = FOLD_IN_STEPS,
) -> FoldIn:
    """Fit a query vector to a new user's ratings under the model's softmax scoring (MAP estimate).

    Args:
        candidates: (n, d) candidate vectors of every recommendable movie.
        temperature: the model's softmax temperature (logits are q.c / temperature).
        rows: row in `candidates` of each rated movie.
        stars: 1-5 stars of each rated movie.
        prior: where known users' query vectors lie (`Prior.of_users`); the fit starts at its mean.
        l2: strength of the prior (1: a plain Gaussian prior, each star weight counting as ratings).
        steps: at most this many damped Newton steps (each halves its step until the objective falls).
    """
    cand = np.asarray(candidates, dtype=np.float64)
    rows = np.asarray(rows, dtype=np.int64)
    weights = star_weights(stars)
    q = prior.mean.copy()
    loss, grad, hess = _loss_grad_hess(q, cand, temperature, rows, weights, prior, l2)
    floor = l2 * float(np.linalg.eigvalsh(prior.precision).min())
    done = 0
    for step_number in range(1, steps + 1):
        done = step_number
        # The dislike term is not convex; keep the Newton matrix positive definite.
        eigval, eigvec = np.linalg.eigh(hess)
        step = eigvec @ ((eigvec.T @ grad) / np.maximum(eigval, floor))
        size = 1.0
        while size > 1e-4:
            trial = q - size * step
            new = _loss_grad_hess(trial, cand, temperature, rows, weights, prior, l2)
            if new[0] <= loss:
                break
            size /= 2
        else:
            break
        q, (loss, grad, hess) = trial, new
        if np.linalg.norm(size * step) < 1e-6 * (1 + np.linalg.norm(q)):
            break
    return FoldIn(q.astype(np.float32), float(loss), done)
