"""Retrieval indexes measured on one catalogue, and catalogues larger than MovieLens.

`measure` builds each index a list of settings asks for over the same movie vectors and reads, per
setting: recall@10 of its top 10 against the exact top 10 (brute force, `BruteForceRetrieval`, what
serving uses), the query latency p50/p99 of one user and of a batch of users, the build seconds and
the index's size in bytes; brute force itself is the reference point. `grown_catalogue` draws any
number of movie vectors shaped like a trained model's (a Gaussian mixture fitted to them);
`stand_in_towers` is a seeded stand-in for a model's vectors where there is none. The bench
(bench/ann_bench.py) and the Catalogue scale page run these.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace

import numpy as np

from recexplore.config.retrieval_index import EF_SEARCH_GRID, EXACT, HNSW, IVF, NPROBE_GRID, IndexConfig
from recexplore.serving.retrieval_index import MovieIndex, mean_recall

K = 10
COMPONENTS = 16  # Gaussian components of a grown catalogue
RECALL_CHUNK = 256  # queries per brute-force call while finding the exact lists (bounded memory)


@dataclass(frozen=True)
class Point:
    """One setting measured: where it sits between recall and speed, and what it costs."""

    index: str  # 'IVF (nlist=250, nprobe=16)'
    kind: str
    n_movies: int
    recall_vs_exact: float  # mean recall@10 against brute force
    single_p50_ms: float
    single_p99_ms: float
    batch_p50_ms: float
    batch_p99_ms: float
    batch: int
    build_seconds: float
    memory_bytes: int

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return asdict(self)


def sweep(kinds: Iterable[str] = (IVF, HNSW), base: IndexConfig | None = None) -> list[IndexConfig]:
    """The settings a sweep measures: IVF at each nprobe of NPROBE_GRID, HNSW at each efSearch of
    EF_SEARCH_GRID, everything else as in `base`."""
    base = base or IndexConfig()
    grids = {IVF: ("nprobe", NPROBE_GRID), HNSW: ("ef_search", EF_SEARCH_GRID)}
    return [replace(base, kind=kind, **{grids[kind][0]: v}) for kind in kinds for v in grids[kind][1]]


def _latency_ms(search: Callable[[np.ndarray], object], queries: Iterable[np.ndarray]) -> tuple[float, float]:
    """p50 and p99 of `search` over `queries`, in milliseconds (one warm-up call first)."""
    queries = list(queries)
    search(queries[0])
    times = []
    for query in queries:
        started = time.perf_counter()
        search(query)
        times.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def _point(index: MovieIndex, queries: np.ndarray, exact: np.ndarray, singles: int, batch: int, repeats: int) -> Point:
    """Measure one index (recall over every query, latency over the first `singles` and `repeats` batches)."""
    found = np.concatenate([index.search(part, K)[0] for part in _chunks(queries)])
    single = _latency_ms(lambda q: index.search(q, K), queries[:singles, None])
    rng = np.random.default_rng(0)
    batches = [queries[rng.choice(len(queries), batch)] for _ in range(repeats)]
    many = _latency_ms(lambda q: index.search(q, K), batches)
    return Point(
        index.label,
        index.config.kind,
        index.n_movies,
        mean_recall(found, exact),
        *single,
        *many,
        batch,
        index.build_seconds,
        index.memory_bytes,
    )


def measure(
    vectors: np.ndarray,
    queries: np.ndarray,
    configs: Iterable[IndexConfig],
    singles: int = 200,
    batch: int = 256,
    repeats: int = 5,
    progress: Callable[[str], None] | None = None,
) -> list[Point]:
    """Brute force, then every setting of `configs` over the same movie `vectors`, read with the
    same `queries` (users' query vectors); each index is built once for all its search settings."""
    say = progress or (lambda _: None)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    say(f"brute force over {len(vectors):,} movies")
    exact = MovieIndex.build(vectors, IndexConfig())
    truth = np.concatenate([exact.search(part, K)[0] for part in _chunks(queries)])
    points = [_point(exact, queries, truth, singles, batch, repeats)]
    built: dict[tuple[object, ...], MovieIndex] = {}
    for config in configs:
        key = (config.kind, config.nlist, config.hnsw_m)
        if key not in built:
            say(f"building {config.label(len(vectors))} over {len(vectors):,} movies")
            built[key] = MovieIndex.build(vectors, config)
        index = built[key].searched_with(config)
        say(f"searching {index.label}")
        points.append(_point(index, queries, truth, singles, batch, repeats))
    return points


def _chunks(queries: np.ndarray) -> list[np.ndarray]:
    return np.array_split(queries, max(1, -(-len(queries) // RECALL_CHUNK)))


def grown_catalogue(like: np.ndarray, n_movies: int, seed: int = 0, components: int = COMPONENTS) -> np.ndarray:
    """`n_movies` vectors drawn from a Gaussian mixture fitted to the movie vectors `like`: k-means
    components, each drawn with its own members' mean and full covariance (so the catalogue keeps
    the model's low-rank shape and its spread of norms, which follow popularity), and each as
    likely as its share of `like`. Seeded."""
    import faiss

    like = np.ascontiguousarray(like, dtype=np.float32)
    components = max(1, min(components, len(like) // 2))
    kmeans = faiss.Kmeans(like.shape[1], components, niter=20, seed=seed)
    kmeans.train(like)
    labels = kmeans.index.search(like, 1)[1][:, 0]
    rng = np.random.default_rng(seed)
    picked = rng.choice(components, n_movies, p=np.bincount(labels, minlength=components) / len(like))
    out = np.empty((n_movies, like.shape[1]), np.float32)
    for c in range(components):
        members, rows = like[labels == c], np.flatnonzero(picked == c)
        if len(rows) == 0:
            continue
        mean = members.mean(axis=0)
        spread = (members - mean) / np.sqrt(max(len(members) - 1, 1))  # z @ spread: the members' covariance
        out[rows] = mean + rng.standard_normal((len(rows), len(members))).astype(np.float32) @ spread
    return out


def stand_in_towers(
    n_movies: int, n_users: int, dim: int = 32, seed: int = 0, rank: int = 12
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded movie and user vectors shaped like a trained two-tower model's, where there is none:
    movies in COMPONENTS clusters of a rank-`rank` subspace plus a little full-rank noise, each
    scaled by a log-normal popularity; users near a mix of two clusters, with a shared offset (the
    towers' users all lean towards popular movies) and norms a little larger than the movies'."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((dim, rank)))[0].T  # (rank, dim), orthonormal rows
    centres = rng.standard_normal((COMPONENTS, rank)) @ basis * 0.5
    cluster = rng.integers(0, COMPONENTS, n_movies)
    movies = centres[cluster] + 0.25 * rng.standard_normal((n_movies, rank)) @ basis
    movies += 0.05 * rng.standard_normal((n_movies, dim))
    movies *= rng.lognormal(0.0, 0.35, (n_movies, 1))
    lean = centres.mean(axis=0) + 0.3 * basis[0]
    pairs = rng.integers(0, COMPONENTS, (n_users, 2))
    users = lean + 0.5 * (centres[pairs[:, 0]] + centres[pairs[:, 1]]) + 0.2 * rng.standard_normal((n_users, dim))
    return movies.astype(np.float32), (1.3 * users).astype(np.float32)


def table_rows(points: Iterable[Point]) -> list[dict[str, object]]:
    """The measured points as table rows (the bench's markdown, the page's table): each setting's
    recall, latency, build time, size, and how many times faster than brute force one user's top 10
    comes back (single-query p50s; brute force is each catalogue's first point)."""
    from recexplore.config.text import byte_size

    rows, reference = [], {}
    for p in points:
        reference.setdefault(p.n_movies, p.single_p50_ms)
        rows.append(
            {
                "movies": p.n_movies,
                "index": p.index,
                "recall@10": round(p.recall_vs_exact, 3),
                "1 user p50 ms": round(p.single_p50_ms, 3),
                "1 user p99 ms": round(p.single_p99_ms, 3),
                f"{p.batch} users p50 ms": round(p.batch_p50_ms, 1),
                f"{p.batch} users p99 ms": round(p.batch_p99_ms, 1),
                "build s": round(p.build_seconds, 2),
                "memory": byte_size(p.memory_bytes),
                "x brute force": round(reference[p.n_movies] / max(p.single_p50_ms, 1e-9), 1),
            }
        )
    return rows


def fastest_at(points: Iterable[Point], floor: float = 0.95) -> Point | None:
    """The approximate setting that answers one user fastest (single-query p50) with recall@10 of
    at least `floor`; None when none reaches it."""
    enough = [p for p in points if p.kind != EXACT and p.recall_vs_exact >= floor]
    return min(enough, key=lambda p: p.single_p50_ms, default=None)


def scale_sentence(points: list[Point], floor: float = 0.95) -> str:
    """One catalogue's measurement in a sentence: the fastest setting that keeps `floor` of brute
    force's top 10, how much faster it answers one user, and what its index costs."""
    from recexplore.config.text import byte_size

    exact, best = points[0], fastest_at(points, floor)
    if best is None:
        top = max(points[1:], key=lambda p: p.recall_vs_exact, default=exact)
        return (
            f"At {exact.n_movies:,} movies no setting here keeps recall@10 {floor:.2f}: the closest is "
            f"{top.index} ({top.recall_vs_exact:.2f})."
        )
    return (
        f"At {exact.n_movies:,} movies, {best.index} keeps recall@10 {best.recall_vs_exact:.2f} of brute "
        f"force's top 10 and answers one user in {best.single_p50_ms:.2f} ms, "
        f"{exact.single_p50_ms / max(best.single_p50_ms, 1e-9):.0f}x faster than brute force "
        f"({exact.single_p50_ms:.2f} ms); its index takes {byte_size(best.memory_bytes)} and "
        f"{best.build_seconds:.1f} s to build."
    )
