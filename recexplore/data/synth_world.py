"""The synthetic world the ratings are drawn from: layouts' time spans, users' activity, movies' popularity and taste."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

MIN_PER_USER = 20  # MovieLens' promise: every user has at least 20 ratings
CLUSTERS = 8  # taste clusters (and latent dimensions)
CLUSTER_PULL = 0.35  # share of a user's picks drawn from their own taste cluster
# Item-item structure beyond the low-rank taste, as franchises and niches give real releases: the
# movies of a cluster fall into small neighbourhoods, each user favours a few of them, and this share
# of their picks comes from their favourites (EASE and a pooled history can read it; an id cannot
# from a user's ratings alone). It does not reproduce ml-latest-small's gap between EASE and id-only
# towers (measured in docs/benchmarks.md, "Sweeps").
NEIGHBOURHOOD_PULL = 0.3
NEIGHBOURHOOD_SIZE = 12  # movies per neighbourhood (the last one of a cluster may be smaller)
FAVOURITES = 4  # neighbourhoods each user favours


@dataclass(frozen=True)
class LayoutSpec:
    """What differs between the MovieLens layouts."""

    start: str  # first rating day (UTC)
    years: float  # span of rating times
    half_stars: bool
    id_spread: float  # largest movie id / number of movies
    last_year: int  # latest release year


LAYOUT_SPECS = {
    "ml-100k": LayoutSpec("1997-09-20", 3.0, False, 1.0, 1998),
    "ml-1m": LayoutSpec("2000-04-25", 3.0, False, 1.066, 2000),
    "ml-25m": LayoutSpec("2000-01-01", 10.0, True, 3.35, 2009),
}


def _epoch(day: str) -> int:
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp())


def user_counts(rng: np.random.Generator, n_ratings: int, n_users: int, n_movies: int) -> np.ndarray:
    """Ratings per user: at least min(20, n_ratings // n_users), a log-normal tail, at most n_movies; sum exact."""
    base = min(MIN_PER_USER, n_ratings // n_users)
    cap = np.full(n_users, n_movies - base, dtype=np.int64)
    weight = rng.lognormal(0.0, 1.4, size=n_users)
    extra = np.zeros(n_users, dtype=np.int64)
    left = n_ratings - base * n_users
    while left > 0:
        open_ = extra < cap
        w = np.where(open_, weight, 0.0)
        share = left * w / w.sum()
        add = np.minimum(np.floor(share).astype(np.int64), cap - extra)
        if add.sum() == 0:  # every share is below one: one more rating to the `left` largest shares
            add[np.argsort(-share, kind="stable")[:left]] = 1
        extra += add
        left -= int(add.sum())
    return base + extra


@dataclass
class World:
    """Everything about movies and users that the ratings are drawn from (movies in id order)."""

    movie_ids: np.ndarray
    years: np.ndarray
    cluster: np.ndarray  # taste cluster per movie
    quality: np.ndarray  # movie bias, stars
    movie_taste: np.ndarray  # (movies, clusters) float32
    global_cdf: np.ndarray
    cluster_cdf: np.ndarray  # per-cluster cdfs over `cluster_order`, cluster c's shifted by +c
    cluster_order: np.ndarray  # movie indices grouped by cluster
    cluster_start: np.ndarray  # (clusters + 1) offsets into cluster_order
    mixture: np.ndarray  # (clusters, movies) float32 pick-probability of the global and cluster parts
    hood_cdf: np.ndarray  # per-neighbourhood cdfs over `hood_order`, neighbourhood g's shifted by +g
    hood_order: np.ndarray  # movie indices grouped by neighbourhood
    hood_start: np.ndarray  # (neighbourhoods + 1) offsets into hood_order
    hood_of: np.ndarray  # each movie's neighbourhood
    hood_share: np.ndarray  # each movie's share of its neighbourhood's popularity
    favourites: np.ndarray  # (users, FAVOURITES) neighbourhoods each user favours
    popularity: np.ndarray  # normalised global pick probability
    counts: np.ndarray  # ratings per user
    user_cluster: np.ndarray
    user_taste: np.ndarray  # (users, clusters) float32
    user_bias: np.ndarray
    half_stars: np.ndarray  # bool per user: uses half stars (csv layout)
    start: np.ndarray  # first rating time per user
    span: np.ndarray  # seconds over which a user's ratings spread


def _rating_shares(popularity: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Approximate share of the ratings each movie gets: users sample without replacement, so heads saturate."""
    edges = np.unique(np.geomspace(1, counts.max() + 1, 96).astype(np.int64))
    group = np.searchsorted(edges, counts, side="right")
    users = np.bincount(group)
    mean_k = np.bincount(group, weights=counts) / np.maximum(users, 1)
    log_miss = np.log1p(-np.minimum(popularity, 1 - 1e-12))
    expected = sum(n * -np.expm1(k * log_miss) for n, k in zip(users, mean_k, strict=True) if n)
    return expected / expected.sum()


def _cumulative_within(values: np.ndarray, start: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Each group's running share of its total (groups are runs of `values` between `start` offsets), last = 1."""
    running = np.cumsum(values) - np.repeat(np.concatenate([[0.0], np.cumsum(total)[:-1]]), np.diff(start))
    share = running / np.repeat(np.maximum(total, 1e-300), np.diff(start))
    share[start[1:] - 1] = 1.0
    return np.minimum(share, 1.0)


def pick_logits(w: World, users: np.ndarray) -> np.ndarray:
    """(users, movies) log pick-probability of each movie for each of `users` (cells: users x movies)."""
    mix = w.mixture[w.user_cluster[users]].astype(np.float64)
    for hood in w.favourites[users].T:
        mix += (NEIGHBOURHOOD_PULL / FAVOURITES) * (w.hood_of[None, :] == hood[:, None]) * w.hood_share
    return np.log(mix)


def make_world(rng: np.random.Generator, spec: LayoutSpec, counts: np.ndarray, n_movies: int) -> World:
    """Movie ids, popularity, quality and taste; user taste, bias and time window."""
    m, u = n_movies, counts.size
    # Sparse ids with gaps (ml-1m, csv) or 1..M (ml-100k).
    top = max(m + (1 if m > 1 and spec.id_spread > 1 else 0), round(m * spec.id_spread))
    ids = np.sort(rng.choice(np.arange(2, top + 1), size=m - 1, replace=False)) if m > 1 else np.empty(0, np.int64)
    movie_ids = np.concatenate([[1], ids]).astype(np.int64) if top > m else np.arange(1, m + 1, dtype=np.int64)
    position = np.arange(m) / max(m, 1)
    years = np.maximum(spec.last_year - np.floor(rng.exponential(12.0, m)), 1902)  # mostly recent releases
    # Popularity: a shifted power law over a random rank, older (lower id) movies more often near the top.
    rank = np.empty(m, dtype=np.int64)
    rank[np.argsort(rng.random(m) * (1.0 + 1.5 * position), kind="stable")] = np.arange(m)
    weight = (rank + max(2.0, 0.0025 * m)) ** -1.5
    if m >= 50:  # a few obscure movies that almost never get rated (MovieLens lists unrated movies)
        weight[rng.choice(m, size=m // 50, replace=False)] *= 1e-4
    popularity = weight / weight.sum()
    k = min(CLUSTERS, m)
    cluster = rng.permutation(np.arange(m) % k)
    movie_taste = rng.normal(size=(m, CLUSTERS)).astype(np.float32)
    movie_taste[np.arange(m), cluster] += 1.5
    log_pop = np.log(popularity)
    quality = 0.25 * (log_pop - log_pop.mean()) / (log_pop.std() + 1e-9) + rng.normal(0, 0.3, m)
    quality -= _rating_shares(popularity, counts) @ quality  # centred where the ratings fall, at any size

    global_cdf = np.cumsum(popularity)
    global_cdf[-1] = 1.0
    order = np.argsort(cluster, kind="stable")
    cluster_start = np.searchsorted(cluster[order], np.arange(k + 1))
    cluster_cdf = np.empty(m)
    mixture = np.empty((k, m), dtype=np.float32)
    for c in range(k):
        members = order[cluster_start[c] : cluster_start[c + 1]]
        inside = popularity[members] / popularity[members].sum()
        part = np.cumsum(inside)
        part[-1] = 1.0
        cluster_cdf[cluster_start[c] : cluster_start[c + 1]] = c + part
        mix = (1 - CLUSTER_PULL - NEIGHBOURHOOD_PULL) * popularity
        mix[members] += CLUSTER_PULL * inside
        mixture[c] = mix
    # Neighbourhoods: runs of NEIGHBOURHOOD_SIZE movies of one cluster in a random order.
    shuffled = order[np.lexsort((rng.random(m), cluster[order]))]
    at_in_cluster = np.arange(m) - cluster_start[cluster[shuffled]]
    hood_of = np.empty(m, dtype=np.int64)
    hood_of[shuffled] = np.unique(cluster[shuffled] * m + at_in_cluster // NEIGHBOURHOOD_SIZE, return_inverse=True)[1]
    hood_order = np.argsort(hood_of, kind="stable")
    n_hoods = int(hood_of.max()) + 1
    hood_start = np.searchsorted(hood_of[hood_order], np.arange(n_hoods + 1))
    hood_mass = np.bincount(hood_of, weights=popularity, minlength=n_hoods)
    hood_cdf = hood_of[hood_order] + _cumulative_within(popularity[hood_order], hood_start, hood_mass)
    hood_share = popularity / hood_mass[hood_of]

    user_cluster = rng.integers(0, k, size=u)
    # Favourites: mostly from the user's own cluster, more often the better-known neighbourhoods.
    hood_cluster = cluster[hood_order[hood_start[:-1]]]
    appeal = np.sqrt(hood_mass)
    favourites = np.empty((u, FAVOURITES), dtype=np.int64)
    for c in range(k):
        users_c = np.flatnonzero(user_cluster == c)
        weight_c = appeal * np.where(hood_cluster == c, 4.0, 1.0)
        cdf = np.cumsum(weight_c / weight_c.sum())
        cdf[-1] = 1.0
        favourites[users_c] = np.searchsorted(cdf, rng.random((users_c.size, FAVOURITES)))
    user_taste = rng.normal(size=(u, CLUSTERS)).astype(np.float32)
    user_taste[np.arange(u), user_cluster] += 1.5
    start_time, end_time = _epoch(spec.start), _epoch(spec.start) + int(spec.years * 365.25 * 86400)
    # Users join in id order over the first 90% of the span; heavier users stay active longer.
    start = start_time + (0.9 * (end_time - start_time) * (np.arange(u) + rng.random(u)) / u).astype(np.int64)
    active = rng.lognormal(np.log(20 * 86400), 2.2, size=u) * np.sqrt(counts / MIN_PER_USER)
    span = np.minimum(np.maximum(active, 600.0), end_time - start).astype(np.int64)
    return World(
        movie_ids=movie_ids,
        years=years.astype(np.int64),
        cluster=cluster,
        quality=quality,
        movie_taste=movie_taste,
        global_cdf=global_cdf,
        cluster_cdf=cluster_cdf,
        cluster_order=order,
        cluster_start=cluster_start,
        mixture=mixture,
        hood_cdf=hood_cdf,
        hood_order=hood_order,
        hood_start=hood_start,
        hood_of=hood_of,
        hood_share=hood_share,
        favourites=favourites,
        popularity=popularity,
        counts=counts,
        user_cluster=user_cluster,
        user_taste=user_taste,
        user_bias=rng.normal(0, 0.45, u),
        half_stars=rng.random(u) < 0.5,
        start=start,
        span=span,
    )
