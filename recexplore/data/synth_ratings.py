"""Synthetic ratings: distinct movies per user, stars and times, written as numpy-encoded text lines.

Ratings are made in chunks of users, vectorised: which movies a user rates is a sample without
replacement from a per-user mixture of global popularity, the user's taste cluster and the few
neighbourhoods of movies they favour, drawn with
replacement and de-duplicated in draw order (light users) or by Gumbel-top-k (heavy users); both
give the same successive-sampling distribution. Lines are encoded as bytes with numpy, not formatted
one by one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recexplore.data.synth_world import (
    CLUSTER_PULL,
    CLUSTERS,
    FAVOURITES,
    NEIGHBOURHOOD_PULL,
    LayoutSpec,
    World,
    pick_logits,
)

_CHUNK_RATINGS = 1 << 20  # ratings generated and written per chunk of users
_GUMBEL_CELLS = 1 << 22  # users x movies cells per Gumbel-top-k batch
_HEAVY_SHARE = 1 / 16  # a user rating more than this share of the movies is sampled by Gumbel-top-k


def _draw(rng: np.random.Generator, w: World, user: np.ndarray) -> np.ndarray:
    """One movie index per entry of `user`, with replacement, from that user's pick mixture."""
    r = 1.0 - rng.random(user.size)  # (0, 1]: searchsorted "left" then lands inside the right cdf
    part = rng.random(user.size)
    own = part < CLUSTER_PULL
    near = (part >= CLUSTER_PULL) & (part < CLUSTER_PULL + NEIGHBOURHOOD_PULL)
    wide = ~(own | near)
    movie = np.empty(user.size, dtype=np.int64)
    movie[wide] = np.minimum(np.searchsorted(w.global_cdf, r[wide]), w.global_cdf.size - 1)
    movie[own] = _inside(w.cluster_cdf, w.cluster_order, w.cluster_start, w.user_cluster[user[own]], r[own])
    hood = w.favourites[user[near], rng.integers(0, FAVOURITES, int(near.sum()))]
    movie[near] = _inside(w.hood_cdf, w.hood_order, w.hood_start, hood, r[near])
    return movie


def _inside(cdf: np.ndarray, order: np.ndarray, start: np.ndarray, group: np.ndarray, r: np.ndarray) -> np.ndarray:
    """A movie of each `group` drawn by `r` from the groups' shifted cdfs (group g's values in (g, g + 1])."""
    at = np.searchsorted(cdf, group + r)
    return order[np.clip(at, start[group], start[group + 1] - 1)]  # guard against rounding at group edges


def _sample_light(rng: np.random.Generator, w: World, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct movies for each user: draws with replacement, first occurrences in draw order, topped up."""
    m = w.popularity.size
    if users.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    need = w.counts[users]
    cur_u = np.empty(0, np.int64)  # picks of the users still short, grouped by user in pick order
    cur_m = np.empty(0, np.int64)
    active = np.arange(users.size)
    done_u, done_m = [], []
    factor = 1.3
    while active.size:
        have = np.bincount(cur_u, minlength=users.size)[active]
        draws = np.ceil((need[active] - have) * factor).astype(np.int64) + 2
        new_u = np.repeat(active, draws)
        all_u = np.concatenate([cur_u, new_u])
        all_m = np.concatenate([cur_m, _draw(rng, w, users[new_u])])
        key = all_u * m + all_m
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        first = np.ones(key.size, dtype=bool)
        first[1:] = sorted_key[1:] != sorted_key[:-1]
        keep = np.sort(order[first])  # first occurrence of each pair, in draw order
        keep = keep[np.argsort(all_u[keep], kind="stable")]  # grouped by user, draw order within
        pu, pm = all_u[keep], all_m[keep]
        got = np.bincount(pu, minlength=users.size)
        rank = np.arange(pu.size) - (np.cumsum(got) - got)[pu]
        within = rank < need[pu]
        pu, pm = pu[within], pm[within]
        full = np.minimum(got, need) == need
        finished = full[pu]
        done_u.append(pu[finished])
        done_m.append(pm[finished])
        cur_u, cur_m = pu[~finished], pm[~finished]
        active = active[~full[active]]
        factor *= 2.0
    return users[np.concatenate(done_u)], np.concatenate(done_m)


def _sample_heavy(rng: np.random.Generator, w: World, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct movies for each user by Gumbel-top-k over every movie's log pick-probability."""
    m = w.popularity.size
    batch = max(1, _GUMBEL_CELLS // m)
    out_u, out_m = [], []
    for lo in range(0, users.size, batch):
        part = users[lo : lo + batch]
        with np.errstate(divide="ignore"):
            noise = -np.log(-np.log(1.0 - rng.random((part.size, m), dtype=np.float32)))
        noise += pick_logits(w, part)
        for row, user in enumerate(part):
            k = int(w.counts[user])
            picks = np.arange(m) if k >= m else np.argpartition(-noise[row], k - 1)[:k]
            out_u.append(np.full(k, user))
            out_m.append(picks)
    if not out_u:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(out_u), np.concatenate(out_m).astype(np.int64)


def _ratings_chunk(
    rng: np.random.Generator, w: World, spec: LayoutSpec, users: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(user index, movie index, stars, timestamp) for `users`, grouped by user, ordered like the layout."""
    heavy = w.counts[users] > _HEAVY_SHARE * w.popularity.size
    lu, lm = _sample_light(rng, w, users[~heavy])
    hu, hm = _sample_heavy(rng, w, users[heavy])
    user, movie = np.concatenate([lu, hu]), np.concatenate([lm, hm])
    taste = np.einsum("ij,ij->i", w.user_taste[user], w.movie_taste[movie]) / np.float32(CLUSTERS)
    score = 3.65 + w.user_bias[user] + w.quality[movie] + 0.6 * taste + rng.normal(0, 0.8, user.size)
    if spec.half_stars:
        halves = np.where(w.half_stars[user], np.rint(2 * score), 2 * np.rint(score))
        stars = np.clip(halves, 1, 10).astype(np.int64)  # in half stars
    else:
        stars = np.clip(np.rint(score), 1, 5).astype(np.int64)
    when = w.start[user] + (w.span[user] * rng.random(user.size) ** 2).astype(np.int64)
    then = movie if spec.half_stars else when  # csv files are sorted by movie id within a user
    order = np.lexsort((then, user))
    return user[order], movie[order], stars[order], when[order]


def _digits(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Right-aligned ASCII digits of non-negative integers and a mask of the significant ones."""
    top = int(values.max()) if values.size else 0
    kind = np.uint32 if top < 2**32 else np.uint64  # 32-bit division is several times faster
    x = values.astype(kind)
    width = len(str(top))
    digits = np.empty((x.size, width), dtype=np.uint8)
    ten = kind(10)
    for j in range(width - 1, -1, -1):
        q = x // ten
        digits[:, j] = (x - q * ten).astype(np.uint8) + np.uint8(48)
        x = q
    mask = values.astype(kind)[:, None] >= (10 ** np.arange(width - 1, -1, -1, dtype=np.uint64)).astype(kind)
    mask[:, -1] = True
    return digits, mask


def _encode(fields: list[np.ndarray | bytes]) -> bytes:
    """Text lines from columns: int arrays become decimal, (n, w) uint8 arrays fixed-width text, bytes literals."""
    n = next(f.shape[0] for f in fields if isinstance(f, np.ndarray))
    parts, masks = [], []
    for f in fields:
        if isinstance(f, bytes):
            parts.append(np.broadcast_to(np.frombuffer(f, dtype=np.uint8), (n, len(f))))
            masks.append(np.ones((n, len(f)), dtype=bool))
        elif f.ndim == 2:
            parts.append(f)
            masks.append(np.ones(f.shape, dtype=bool))
        else:
            digits, mask = _digits(f)
            parts.append(digits)
            masks.append(mask)
    return np.concatenate(parts, axis=1)[np.concatenate(masks, axis=1)].tobytes()


def _star_text(half_stars: bool) -> np.ndarray:
    """Fixed-width text of each star value (index = stars or half stars)."""
    labels = [f"{h / 2:.1f}" for h in range(11)] if half_stars else [str(s) for s in range(6)]
    return np.frombuffer("".join(labels).encode(), dtype=np.uint8).reshape(len(labels), -1)


def write_ratings(out: Path, layout: str, rng_seed: np.random.SeedSequence, w: World, spec: LayoutSpec) -> int:
    """The ratings file of `layout`, written in chunks of users; the number of ratings written."""
    name, sep, header = {
        "ml-100k": ("u.data", b"\t", b""),
        "ml-1m": ("ratings.dat", b"::", b""),
        "ml-25m": ("ratings.csv", b",", b"userId,movieId,rating,timestamp\n"),
    }[layout]
    stars_text = _star_text(spec.half_stars)
    ends = np.cumsum(w.counts)
    cuts = np.searchsorted(ends, np.arange(_CHUNK_RATINGS, int(ends[-1]), _CHUNK_RATINGS), side="right")
    bounds = np.unique(np.concatenate([[0], cuts, [w.counts.size]]))
    written = 0
    with open(out / name, "wb") as f:
        f.write(header)
        for lo, hi, seq in zip(bounds[:-1], bounds[1:], rng_seed.spawn(bounds.size - 1), strict=True):
            user, movie, stars, when = _ratings_chunk(np.random.default_rng(seq), w, spec, np.arange(lo, hi))
            f.write(_encode([user + 1, sep, w.movie_ids[movie], sep, stars_text[stars], sep, when, b"\n"]))
            written += user.size
    return written
