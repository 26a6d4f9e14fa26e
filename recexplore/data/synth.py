"""Synthetic data sets in the MovieLens file layouts, for tests and scale benchmarks (no real data).

`write_synthetic` writes an ml-100k, ml-1m or ml-25m (the CSV layout of ml-latest-small, ml-20m and
ml-25m) folder with the official file formats. The data has MovieLens' shape: long-tailed movie
popularity and user activity (at least 20 ratings a user where the sizes allow), unique (user, movie)
pairs, users joining over several years with each one's ratings spread in time, and stars drawn from
movie quality, user bias and a low-rank user x movie taste, so models beat the global mean.

Ratings are made in chunks of users, vectorised: which movies a user rates is a sample without
replacement from a per-user mixture of global popularity and the user's taste cluster, drawn with
replacement and de-duplicated in draw order (light users) or by Gumbel-top-k (heavy users); both
give the same successive-sampling distribution. Lines are encoded as bytes with numpy, not formatted
one by one: 25 million ratings (ml-25m's sizes) take about 20-30 s on one core and ~300 MB of memory.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from recexplore.data.sources import ML100K_LAYOUT

SYNTH_LAYOUTS = ("ml-100k", "ml-1m", "ml-25m")  # the file layouts write_synthetic can write

# The 18 genres every layout shares, in ml-100k's flag order (after "Unknown"); names differ per layout.
_GENRES = ML100K_LAYOUT.genres[1:]
_ML1M_GENRES = tuple("Children's" if g == "Children" else g for g in _GENRES)
_NO_GENRES = "(no genres listed)"  # the csv layout's value for a movie without genres
_OCCUPATIONS_100K = (
    "administrator",
    "artist",
    "doctor",
    "educator",
    "engineer",
    "entertainment",
    "executive",
    "healthcare",
    "homemaker",
    "lawyer",
    "librarian",
    "marketing",
    "none",
    "other",
    "programmer",
    "retired",
    "salesman",
    "scientist",
    "student",
    "technician",
    "writer",
)
_AGES_1M = (1, 18, 25, 35, 45, 50, 56)
_AGE_SHARES_1M = (0.037, 0.183, 0.347, 0.198, 0.091, 0.082, 0.062)
_WORDS = tuple(
    "Night Love Star Day City Dark Return Story King Game Blue War River House Summer Ghost Heart Road Secret Dream"
    " Fire Island Girl Man Time Storm Lost Last Silent Wild Golden Empire Shadow Angel".split()
)
_SUBTITLES = ("Episode IV", "The Return", "Part II", "A New Hope", "The Beginning", "Revenge", "Redemption")
_LATIN1_WORDS = ("Café", "Niño", "Señor", "Amélie", "Mädchen", "Garçon", "Misérables", "Déjà Vu", "Øresund")
_UNICODE_WORDS = ("Łódź", "Ōsaka", "Žižek", "Şehir", "Ærø", "Dvořák")  # beyond Latin-1, for the UTF-8 csv layout
_TAGS = ("funny", "dark comedy", "based on a book", "sci-fi", "twist ending", "classic", "atmospheric")

_CHUNK_RATINGS = 1 << 20  # ratings generated and written per chunk of users
_GUMBEL_CELLS = 1 << 22  # users x movies cells per Gumbel-top-k batch
_HEAVY_SHARE = 1 / 16  # a user rating more than this share of the movies is sampled by Gumbel-top-k
_MIN_PER_USER = 20  # MovieLens' promise: every user has at least 20 ratings
_CLUSTERS = 8  # taste clusters (and latent dimensions)
_CLUSTER_PULL = 0.5  # share of a user's picks drawn from their own taste cluster


@dataclass(frozen=True)
class _Layout:
    """What differs between the MovieLens layouts."""

    start: str  # first rating day (UTC)
    years: float  # span of rating times
    half_stars: bool
    id_spread: float  # largest movie id / number of movies
    last_year: int  # latest release year


_LAYOUTS = {
    "ml-100k": _Layout("1997-09-20", 3.0, False, 1.0, 1998),
    "ml-1m": _Layout("2000-04-25", 3.0, False, 1.066, 2000),
    "ml-25m": _Layout("2000-01-01", 10.0, True, 3.35, 2009),
}


def _check(layout: str, n_ratings: int, n_users: int, n_movies: int, seed: int) -> None:
    if layout not in _LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}: expected one of {', '.join(SYNTH_LAYOUTS)}")
    sizes = {"n_ratings": n_ratings, "n_users": n_users, "n_movies": n_movies, "seed": seed}
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {value!r}")
        if value < (0 if name == "seed" else 1):
            raise ValueError(f"{name} must be at least {0 if name == 'seed' else 1}, got {value}")
    n_ratings, n_users, n_movies = int(n_ratings), int(n_users), int(n_movies)  # no numpy overflow below
    if n_ratings < n_users:
        raise ValueError(f"{n_ratings} ratings cannot cover {n_users} users (every user rates at least once)")
    if n_ratings > n_users * n_movies:
        raise ValueError(f"{n_ratings} ratings exceed {n_users} users x {n_movies} movies (pairs are unique)")


def _epoch(day: str) -> int:
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp())


def _user_counts(rng: np.random.Generator, n_ratings: int, n_users: int, n_movies: int) -> np.ndarray:
    """Ratings per user: at least min(20, n_ratings // n_users), a log-normal tail, at most n_movies; sum exact."""
    base = min(_MIN_PER_USER, n_ratings // n_users)
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
class _World:
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
    mixture_logits: np.ndarray  # (clusters, movies) float32 log pick-probability for a user of each cluster
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


def _world(rng: np.random.Generator, spec: _Layout, counts: np.ndarray, n_movies: int) -> _World:
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
    k = min(_CLUSTERS, m)
    cluster = rng.permutation(np.arange(m) % k)
    movie_taste = rng.normal(size=(m, _CLUSTERS)).astype(np.float32)
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
        mix = (1 - _CLUSTER_PULL) * popularity
        mix[members] += _CLUSTER_PULL * inside
        mixture[c] = np.log(mix)

    user_cluster = rng.integers(0, k, size=u)
    user_taste = rng.normal(size=(u, _CLUSTERS)).astype(np.float32)
    user_taste[np.arange(u), user_cluster] += 1.5
    start_time, end_time = _epoch(spec.start), _epoch(spec.start) + int(spec.years * 365.25 * 86400)
    # Users join in id order over the first 90% of the span; heavier users stay active longer.
    start = start_time + (0.9 * (end_time - start_time) * (np.arange(u) + rng.random(u)) / u).astype(np.int64)
    active = rng.lognormal(np.log(20 * 86400), 2.2, size=u) * np.sqrt(counts / _MIN_PER_USER)
    span = np.minimum(np.maximum(active, 600.0), end_time - start).astype(np.int64)
    return _World(
        movie_ids=movie_ids,
        years=years.astype(np.int64),
        cluster=cluster,
        quality=quality,
        movie_taste=movie_taste,
        global_cdf=global_cdf,
        cluster_cdf=cluster_cdf,
        cluster_order=order,
        cluster_start=cluster_start,
        mixture_logits=mixture,
        popularity=popularity,
        counts=counts,
        user_cluster=user_cluster,
        user_taste=user_taste,
        user_bias=rng.normal(0, 0.45, u),
        half_stars=rng.random(u) < 0.5,
        start=start,
        span=span,
    )


def _draw(rng: np.random.Generator, w: _World, cluster: np.ndarray) -> np.ndarray:
    """One movie index per entry of `cluster`, with replacement, from that cluster's pick mixture."""
    r = 1.0 - rng.random(cluster.size)  # (0, 1]: searchsorted "left" then lands inside the right cdf
    own = rng.random(cluster.size) < _CLUSTER_PULL
    movie = np.empty(cluster.size, dtype=np.int64)
    movie[~own] = np.minimum(np.searchsorted(w.global_cdf, r[~own]), w.global_cdf.size - 1)
    c = cluster[own]
    at = np.searchsorted(w.cluster_cdf, c + r[own])
    at = np.clip(at, w.cluster_start[c], w.cluster_start[c + 1] - 1)  # guard against rounding at cluster edges
    movie[own] = w.cluster_order[at]
    return movie


def _sample_light(rng: np.random.Generator, w: _World, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
        all_m = np.concatenate([cur_m, _draw(rng, w, w.user_cluster[users[new_u]])])
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


def _sample_heavy(rng: np.random.Generator, w: _World, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct movies for each user by Gumbel-top-k over every movie's log pick-probability."""
    m = w.popularity.size
    batch = max(1, _GUMBEL_CELLS // m)
    out_u, out_m = [], []
    for lo in range(0, users.size, batch):
        part = users[lo : lo + batch]
        with np.errstate(divide="ignore"):
            noise = -np.log(-np.log(1.0 - rng.random((part.size, m), dtype=np.float32)))
        noise += w.mixture_logits[w.user_cluster[part]]
        for row, user in enumerate(part):
            k = int(w.counts[user])
            picks = np.arange(m) if k >= m else np.argpartition(-noise[row], k - 1)[:k]
            out_u.append(np.full(k, user))
            out_m.append(picks)
    if not out_u:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(out_u), np.concatenate(out_m).astype(np.int64)


def _ratings_chunk(
    rng: np.random.Generator, w: _World, spec: _Layout, users: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(user index, movie index, stars, timestamp) for `users`, grouped by user, ordered like the layout."""
    heavy = w.counts[users] > _HEAVY_SHARE * w.popularity.size
    lu, lm = _sample_light(rng, w, users[~heavy])
    hu, hm = _sample_heavy(rng, w, users[heavy])
    user, movie = np.concatenate([lu, hu]), np.concatenate([lm, hm])
    taste = np.einsum("ij,ij->i", w.user_taste[user], w.movie_taste[movie]) / np.float32(_CLUSTERS)
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


def _write_ratings(out: Path, layout: str, rng_seed: np.random.SeedSequence, w: _World, spec: _Layout) -> int:
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


def _genres(rng: np.random.Generator, w: _World) -> np.ndarray:
    """(movies, 18) genre flags: one genre from the movie's taste cluster, sometimes one or two more."""
    m = w.movie_ids.size
    flags = np.zeros((m, len(_GENRES)), dtype=bool)
    group_size = (len(_GENRES) - w.cluster + _CLUSTERS - 1) // _CLUSTERS  # genres c, c + 8, c + 16, ...
    home = w.cluster + _CLUSTERS * (rng.random(m) * group_size).astype(np.int64)
    flags[np.arange(m), home] = True
    for share in (0.5, 0.2):
        more = rng.random(m) < share
        flags[np.flatnonzero(more), rng.integers(0, len(_GENRES), int(more.sum()))] = True
    return flags


def _titles(rng: np.random.Generator, w: _World, layout: str) -> list[str]:
    """MovieLens-style titles: some "Name, The", some with a colon, some with Latin-1 (or other non-ASCII)."""
    m = w.movie_ids.size
    a, b = rng.integers(0, len(_WORDS), m), rng.integers(0, len(_WORDS), m)
    kind = rng.random(m)
    special = rng.choice(m, size=min(m, 6), replace=False)  # small data sets still get each kind once
    kind[special] = (0.01, 0.05, 0.12, 0.2, 0.3, 0.001)[: special.size]
    titles = []
    for i in range(m):
        title = f"{_WORDS[a[i]]} {_WORDS[b[i]]}"
        if kind[i] < 0.04:  # a Latin-1 (csv: sometimes wider Unicode) word
            words = _UNICODE_WORDS if layout == "ml-25m" and kind[i] < 0.015 else _LATIN1_WORDS
            title = f"{words[a[i] % len(words)]} {_WORDS[b[i]]}"
        elif kind[i] < 0.10:
            title = f"{title}: {_SUBTITLES[b[i] % len(_SUBTITLES)]}"
        elif kind[i] < 0.18:
            title = f"{title}, The"
        elif kind[i] < 0.21:
            title = f"{_WORDS[a[i]]}, {_WORDS[b[i]]} and Me"
        if layout == "ml-25m" and kind[i] < 0.002:
            title = f'"{title}" Live'  # a quoted title, written with doubled quotes by the csv module
        no_year = layout == "ml-25m" and (0.295 < kind[i] < 0.305)
        titles.append(title if no_year else f"{title} ({w.years[i]})")
    return titles


def _write_movies(out: Path, layout: str, rng: np.random.Generator, w: _World) -> None:
    flags = _genres(rng, w)
    titles = _titles(rng, w, layout)
    ids = w.movie_ids.tolist()
    if layout == "ml-100k":
        unknown = rng.random(ids.__len__()) < 0.002
        lines = []
        for i, (mid, title) in enumerate(zip(ids, titles, strict=True)):
            row = [False, *flags[i]] if not unknown[i] else [True, *([False] * len(_GENRES))]
            year = w.years[i]
            lines.append(
                f"{mid}|{title}|01-Jan-{year}||http://example.invalid/{mid}|" + "|".join("1" if g else "0" for g in row)
            )
        (out / "u.item").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    elif layout == "ml-1m":
        lines = [
            f"{mid}::{title}::" + "|".join(g for g, on in zip(_ML1M_GENRES, flags[i], strict=True) if on)
            for i, (mid, title) in enumerate(zip(ids, titles, strict=True))
        ]
        (out / "movies.dat").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    else:
        none = rng.random(len(ids)) < 0.015
        if len(ids) >= 10:
            none[rng.integers(len(ids))] = True
        imax = rng.random(len(ids)) < 0.03
        with open(out / "movies.csv", "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["movieId", "title", "genres"])
            for i, (mid, title) in enumerate(zip(ids, titles, strict=True)):
                names = [g for g, on in zip(_GENRES, flags[i], strict=True) if on] + (["IMAX"] if imax[i] else [])
                writer.writerow([mid, title, _NO_GENRES if none[i] else "|".join(sorted(names))])


def _write_users(out: Path, layout: str, rng: np.random.Generator, n_users: int) -> None:
    ids = range(1, n_users + 1)
    gender = np.where(rng.random(n_users) < 0.71, "M", "F")
    zips = rng.integers(1000, 99999, n_users)
    if layout == "ml-100k":
        ages = np.clip(np.rint(rng.triangular(7, 27, 73, n_users)), 7, 73).astype(int)
        jobs = rng.integers(0, len(_OCCUPATIONS_100K), n_users)
        lines = [f"{u}|{ages[i]}|{gender[i]}|{_OCCUPATIONS_100K[jobs[i]]}|{zips[i]:05d}" for i, u in enumerate(ids)]
        (out / "u.user").write_text("\n".join(lines) + "\n", encoding="latin-1")
        (out / "u.occupation").write_text("".join(f"{o}\n" for o in _OCCUPATIONS_100K), encoding="latin-1")
        names = ("unknown", *(g if g != "Children" else "Children's" for g in _GENRES))
        (out / "u.genre").write_text("".join(f"{g}|{i}\n" for i, g in enumerate(names)) + "\n", encoding="latin-1")
    else:
        ages = rng.choice(np.array(_AGES_1M), size=n_users, p=np.array(_AGE_SHARES_1M) / sum(_AGE_SHARES_1M))
        jobs = rng.integers(0, 21, n_users)
        plus4 = rng.random(n_users) < 0.02
        tails = rng.integers(0, 10000, n_users)
        lines = [
            f"{u}::{gender[i]}::{ages[i]}::{jobs[i]}::{zips[i]:05d}" + (f"-{tails[i]:04d}" if plus4[i] else "")
            for i, u in enumerate(ids)
        ]
        (out / "users.dat").write_text("\n".join(lines) + "\n", encoding="latin-1")


def _write_csv_extras(out: Path, rng: np.random.Generator, w: _World, n_ratings: int) -> None:
    """links.csv for every movie and a few rows of tags.csv, as in the real csv folders."""
    m = w.movie_ids.size
    imdb = 100000 + np.sort(rng.choice(9_000_000, size=m, replace=False))
    tmdb = rng.permutation(m) * 3 + 2 + rng.integers(0, 3, m)
    missing = rng.random(m) < 0.002
    with open(out / "links.csv", "w", encoding="utf-8", newline="") as f:
        f.write("movieId,imdbId,tmdbId\n")
        f.writelines(
            f"{mid},{imdb[i]:07d},{'' if missing[i] else tmdb[i]}\n" for i, mid in enumerate(w.movie_ids.tolist())
        )
    n_tags = min(n_ratings, 10 + n_ratings // 1000)
    users = np.sort(rng.integers(0, w.counts.size, n_tags))
    movies = rng.choice(m, size=n_tags, p=w.popularity)
    order = np.lexsort((movies, users))
    users, movies = users[order], movies[order]
    when = w.start[users] + (w.span[users] * rng.random(n_tags)).astype(np.int64)
    tags = rng.integers(0, len(_TAGS), n_tags)
    with open(out / "tags.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["userId", "movieId", "tag", "timestamp"])
        writer.writerows(
            [int(users[i]) + 1, int(w.movie_ids[movies[i]]), _TAGS[tags[i]], int(when[i])] for i in range(n_tags)
        )


def write_synthetic(
    out: Path, layout: str, n_ratings: int, n_users: int, n_movies: int, seed: int = 0
) -> dict[str, int]:
    """Write a synthetic data set in `layout` into folder `out` (created).

    Returns {"ratings", "users", "movies"}: the counts actually written.
    """
    _check(layout, n_ratings, n_users, n_movies, seed)
    out = Path(out)
    spec = _LAYOUTS[layout]
    world_seed, ratings_seed, files_seed = np.random.SeedSequence(int(seed)).spawn(3)
    rng = np.random.default_rng(world_seed)
    counts = _user_counts(rng, int(n_ratings), int(n_users), int(n_movies))
    w = _world(rng, spec, counts, int(n_movies))
    out.mkdir(parents=True, exist_ok=True)
    files = np.random.default_rng(files_seed)
    _write_movies(out, layout, files, w)
    if layout == "ml-25m":
        _write_csv_extras(out, files, w, int(n_ratings))
    else:
        _write_users(out, layout, files, int(n_users))
    if layout == "ml-100k":
        info = f"{n_users} users\n{n_movies} items\n{n_ratings} ratings\n"
        (out / "u.info").write_text(info, encoding="latin-1")
    written = _write_ratings(out, layout, ratings_seed, w, spec)
    return {"ratings": written, "users": int(n_users), "movies": int(n_movies)}
