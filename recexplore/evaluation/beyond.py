"""One split's retrieval evaluation beyond the hit rate: every scorer's top-k lists, their list
metrics (`ranking_metrics`), per-user values for paired tests, and results by user group."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from recexplore.evaluation.list_metrics import Catalogue, HeldOut, K, list_report, per_user, top_k
from recexplore.models.score_rows import ScoreRows, ZeroOne, axis_counts

ACTIVITY_EDGES = (30, 100, 300)  # training ratings: < 30, 30-100, 100-300, 300+
HEAD_SHARE = 0.2  # the head: the 20% most-rated movies of the training part


@dataclass(frozen=True)
class Target:
    """What every scorer of one split is measured against."""

    held_out: HeldOut
    catalogue: Catalogue
    seen: ZeroOne  # (n_users, n_items) bool, dense or sparse (CSR): each user's training movies, never recommended
    test_users: np.ndarray
    test_items: np.ndarray
    groups: dict[str, np.ndarray]  # user group -> bool mask over held_out.users
    head: np.ndarray  # (n_items,) bool: the head movies

    @classmethod
    def of(cls, space: Any, split: Any) -> Target:
        """The target of `split` in `space`'s index (users' demographics from its tables); `seen` is sparse."""
        train_matrix = space.interaction_csr(split.train)
        test_users = space.user_index(split.test["user_id"])
        test_items = space.movie_index(split.test["movie_id"])
        return cls.build(
            train_matrix,
            test_users,
            test_items,
            space.movies["genres"],
            gender=(space.vocab.genders, space.users["user_gender"]),
            age=(space.vocab.age_buckets, space.users["age_bucket"]),
        )

    @classmethod
    def build(
        cls,
        train_matrix: ZeroOne,
        test_users: np.ndarray,
        test_items: np.ndarray,
        genres: np.ndarray,
        gender: tuple[tuple, np.ndarray] | None = None,
        age: tuple[tuple, np.ndarray] | None = None,
    ) -> Target:
        """From index arrays (a sparse `train_matrix` stays sparse): `gender` and `age` are (vocabulary,
        each user row's 1-based code)."""
        matrix = train_matrix if sparse.issparse(train_matrix) else np.asarray(train_matrix)
        held_out = HeldOut.of(test_users, test_items, matrix.shape[1])
        catalogue = Catalogue.of(matrix, genres)
        activity = axis_counts(matrix, 1)[held_out.users]  # no copy of the users' rows
        edges = (0, *ACTIVITY_EDGES, np.inf)
        names = [f"< {ACTIVITY_EDGES[0]}"]
        names += [f"{a}-{b}" for a, b in zip(ACTIVITY_EDGES, ACTIVITY_EDGES[1:], strict=False)]
        names += [f"{ACTIVITY_EDGES[-1]}+"]
        groups = {
            f"activity {name}": (activity >= lo) & (activity < hi)
            for name, lo, hi in zip(names, edges, edges[1:], strict=False)
        }
        for dimension, found in (("gender", gender), ("age", age)):
            if found is None:
                continue
            vocabulary, codes = found
            labels = _age_labels(vocabulary) if dimension == "age" else [str(v) for v in vocabulary]
            for i, shown in enumerate(labels, start=1):
                groups[f"{dimension} {shown}"] = np.asarray(codes)[held_out.users] == i
        counts = catalogue.train_counts.astype(np.float64)
        counts[0] = -1  # the OOV column is never a movie
        n_head = max(int(round(HEAD_SHARE * (len(counts) - 1))), 1)
        head = np.zeros(len(counts), dtype=bool)
        head[np.argsort(-counts, kind="stable")[:n_head]] = True
        return cls(
            held_out,
            catalogue,
            matrix.astype(bool, copy=False) if sparse.issparse(matrix) else matrix.astype(bool),
            np.asarray(test_users, np.int64),
            np.asarray(test_items, np.int64),
            groups,
            head,
        )

    def lists(self, scores: np.ndarray | ScoreRows, k: int = K) -> np.ndarray:
        """Each evaluated user's top k by `scores` (a table, or `ScoreRows` read a batch of users
        at a time), training movies excluded."""
        return top_k(scores, self.held_out.users, self.seen, k)

    def report(self, lists: np.ndarray) -> dict[str, float]:
        """The list metrics of one scorer's lists."""
        return list_report(lists, self.held_out, self.catalogue)


def _age_labels(bounds: tuple) -> list[str]:
    """'under 18', '18-24', ..., '56+' for TFDS's age-bucket lower bounds."""
    b = [int(x) for x in bounds]
    return [
        f"under {b[1]}" if i == 0 else f"{v}+" if i == len(b) - 1 else f"{v}-{b[i + 1] - 1}" for i, v in enumerate(b)
    ]


def user_values(lists: np.ndarray, target: Target) -> dict[str, list[float]]:
    """Per evaluated user (in `target.held_out.users` order): hits in the list, held-out count,
    NDCG: what a paired test over users resamples (JSON-ready lists)."""
    found = per_user(lists, target.held_out)
    return {
        "hits": found["hits"].astype(float).tolist(),
        "relevant": target.held_out.relevant.astype(float).tolist(),
        "ndcg": found["ndcg"].tolist(),
    }


def _movie_group(lists: np.ndarray, target: Target, movies: np.ndarray) -> tuple[int, float, float]:
    """Users, hit rate and NDCG when only the held-out interactions with `movies` count."""
    keep = movies[target.test_items]
    if not keep.any():
        return 0, 0.0, 0.0
    part = HeldOut.of(target.test_users[keep], target.test_items[keep], target.held_out.n_items)
    rows = np.searchsorted(target.held_out.users, part.users)
    found = per_user(lists[rows], part)
    return len(part.users), float(found["hits"].sum() / keep.sum()), float(np.mean(found["ndcg"]))


def slices(lists: Mapping[str, np.ndarray], target: Target) -> list[dict[str, Any]]:
    """Hit rate and NDCG at k by user group (activity, gender, age) and by held-out movie group
    (head: the 20% most-rated movies, tail: the rest), for each scorer: `lists` maps a key prefix
    ('' for the model, 'popularity_', ...) to its lists. One dict per group: `group`, `users`, and
    `<prefix>hit_rate_at_k`, `<prefix>ndcg_at_k` for every scorer."""
    k = next(iter(lists.values())).shape[1]
    values = {prefix: per_user(found, target.held_out) for prefix, found in lists.items()}
    rows: list[dict[str, Any]] = []
    for name, mask in target.groups.items():
        if not mask.any():
            continue
        row: dict[str, Any] = {"group": name, "users": int(mask.sum())}
        for prefix, found in values.items():
            row[f"{prefix}hit_rate_at_{k}"] = float(found["hits"][mask].sum() / target.held_out.relevant[mask].sum())
            row[f"{prefix}ndcg_at_{k}"] = float(np.mean(found["ndcg"][mask]))
        rows.append(row)
    for name, movies in (("held-out head", target.head), ("held-out tail", ~target.head)):
        row = {"group": name}
        for prefix, found in lists.items():
            users, hit_rate, ndcg = _movie_group(found, target, movies)
            row.update({"users": users, f"{prefix}hit_rate_at_{k}": hit_rate, f"{prefix}ndcg_at_{k}": ndcg})
        if row["users"]:
            rows.append(row)
    return rows


def gain_sentence(rows: list[dict[str, Any]], model: str = "The model", k: int = K) -> str:
    """Where the model gains most over popularity in hit rate, and where least (or loses)."""
    key, base = f"hit_rate_at_{k}", f"popularity_hit_rate_at_{k}"
    usable = [r for r in rows if key in r and base in r]
    if not usable:
        return ""
    gains = sorted(usable, key=lambda r: r[key] - r[base])
    low, high = gains[0], gains[-1]
    most = f"{model} gains most over popularity for {high['group']} ({high[base]:.3f} -> {high[key]:.3f} hit rate@{k})"
    if low[key] - low[base] < 0:
        return f"{most}, and loses to it for {low['group']} ({low[base]:.3f} -> {low[key]:.3f})."
    return f"{most}, least for {low['group']} ({low[base]:.3f} -> {low[key]:.3f})."


def long_tail(lists: np.ndarray, train_counts: np.ndarray) -> np.ndarray:
    """How often each movie is recommended, movies in order of training popularity (most rated
    first, ties by index): the long-tail curve's y values, x being the popularity rank 1..n."""
    counts = np.asarray(train_counts)[1:]
    order = np.argsort(-counts, kind="stable")
    recommended = np.bincount(lists[lists > 0].ravel() - 1, minlength=len(counts))
    return recommended[order]


def scatter_points(views: Mapping[str, Mapping[str, Any]], reference: str, k: int = K) -> list[dict[str, Any]]:
    """One point per model (its list metrics at k, by name) and one for each baseline the
    `reference` model's view measured (popularity, EASE): the Beyond accuracy scatter and table.

    Args:
        views: model name -> its `scoring.beyond_view`.
        reference: the model whose split the baselines are taken from.
    """
    from recexplore.evaluation.list_metrics import LIST_METRICS

    keys = [f"{m}_at_{k}" for m in LIST_METRICS]
    points = [{"name": name, **{key: view["metrics"][key] for key in keys}} for name, view in views.items()]
    measured = views[reference]["metrics"]
    for baseline, prefix in (("popularity", "popularity_"), ("EASE", "ease_")):
        if f"{prefix}ndcg_at_{k}" in measured:
            points.append({"name": baseline, **{key: measured[prefix + key] for key in keys}})
    return points


def bias_sentence(points: Sequence[Mapping[str, Any]], k: int = K) -> str:
    """One sentence on the accuracy / popularity-bias trade-off of several scorers (dicts with
    `name` and their `<metric>_at_k` values)."""
    ndcg, pop, cover = f"ndcg_at_{k}", f"popularity_percentile_at_{k}", f"catalog_coverage_at_{k}"
    best = max(points, key=lambda p: p[ndcg])
    fair = min(points, key=lambda p: p[pop])
    text = f"{best['name']} ranks best (NDCG@{k} {best[ndcg]:.3f}, covering {best[cover]:.0%} of the catalogue)"
    if fair["name"] != best["name"]:
        text += (
            f"; {fair['name']} leans least on popular movies (mean percentile {fair[pop]:.1f} against "
            f"{best[pop]:.1f}) at NDCG@{k} {fair[ndcg]:.3f}"
        )
    popular = next((p for p in points if p["name"] == "popularity"), None)
    if popular is not None and popular is not best:
        text += f". Popularity reaches only {popular[cover]:.0%} of the catalogue"
    return text + "."
