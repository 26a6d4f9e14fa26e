"""Full against sampled ranking for several models and their peers: each ordering, Kendall's tau
between them, the pairs that swap, how much sampling inflates each number, and what a paper's
sampled hit rate reads as here (docs/evaluation.md, "Sampled against full ranking")."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from recexplore.config.metrics import PEERS
from recexplore.evaluation.sampled import Sampling

PAPER_HIT_RATE = 0.82  # SASRec's sampled HR@10 on ML-1M (Kang & McAuley 2018, 100 sampled negatives)
PAPER_SOURCE = "SASRec's paper, ML-1M"


@dataclass(frozen=True)
class Scored:
    """One model's (or peer's) full-ranking hit rate@10 and sampled hit rate and NDCG@10."""

    name: str
    full: float
    sampled: float
    sampled_ndcg: float = float("nan")

    @property
    def inflation(self) -> float:
        """Sampled over full (inf where the full hit rate is 0)."""
        return self.sampled / self.full if self.full > 0 else math.inf


@dataclass(frozen=True)
class Comparison:
    """How the orderings of the same models by full and by sampled hit rate agree.

    Attributes:
        rows: the models, best full hit rate first.
        full_order, sampled_order: their names, best first (ties keep the input order).
        tau: Kendall's tau-b between the two rankings (nan with fewer than two models or no spread).
        swaps: (a, b) pairs a beats b on full ranking and b beats a on sampled (ties are no swap).
    """

    rows: tuple[Scored, ...]
    full_order: tuple[str, ...]
    sampled_order: tuple[str, ...]
    tau: float
    swaps: tuple[tuple[str, str], ...]


def compare(rows: Sequence[Scored]) -> Comparison:
    """The two orderings of `rows`, Kendall's tau between them and the swapped pairs."""
    from scipy.stats import kendalltau

    full = sorted(rows, key=lambda r: -r.full)
    sampled = sorted(rows, key=lambda r: -r.sampled)
    tau = float("nan")
    if len(rows) >= 2:
        found = kendalltau([r.full for r in rows], [r.sampled for r in rows]).statistic
        tau = float(found) if found is not None else float("nan")
    swaps = tuple(
        (a.name, b.name) if a.full > b.full else (b.name, a.name)
        for a, b in combinations(rows, 2)
        if (a.full - b.full) * (a.sampled - b.sampled) < 0
    )
    return Comparison(tuple(full), tuple(r.name for r in full), tuple(r.name for r in sampled), tau, swaps)


def order_sentence(found: Comparison) -> str:
    """One sentence on whether sampling changes which model wins: the pairs it reverses, with tau."""
    pairs = len(found.rows) * (len(found.rows) - 1) // 2
    if pairs == 0:
        return "One model alone has no ordering to compare: save another one."
    tau = "undefined" if math.isnan(found.tau) else f"{found.tau:.2f}"
    if not found.swaps:
        return f"Sampling keeps the order of all {len(found.rows)} (Kendall's tau {tau}): no pair swaps."
    named = "; ".join(f"{a} beats {b} on full ranking, but not on sampled" for a, b in found.swaps)
    winner = "the winner changes" if found.full_order[0] != found.sampled_order[0] else "the winner stays"
    return f"Sampling reverses {len(found.swaps)} of the {pairs} pairs (Kendall's tau {tau}, {winner}): {named}."


def full_reading(rows: Sequence[Scored], sampled_value: float) -> tuple[float, bool] | None:
    """The full-ranking hit rate a sampled one of `sampled_value` reads as on these models: read off
    the line through their (sampled, full) points, interpolated between neighbours inside their span,
    the least-squares line beyond it (clipped to 0..1); and whether it was extrapolated. None with
    fewer than two distinct sampled values."""
    points = sorted((r.sampled, r.full) for r in rows if math.isfinite(r.sampled) and math.isfinite(r.full))
    xs = np.array([p[0] for p in points])
    ys = np.array([p[1] for p in points])
    if len(np.unique(xs)) < 2:
        return None
    if xs[0] <= sampled_value <= xs[-1]:
        distinct, where = np.unique(xs, return_inverse=True)
        means = np.bincount(where, weights=ys) / np.bincount(where)
        return float(np.interp(sampled_value, distinct, means)), False
    slope, intercept = np.polyfit(xs, ys, 1)
    return float(np.clip(slope * sampled_value + intercept, 0.0, 1.0)), True


def paper_sentence(rows: Sequence[Scored], value: float = PAPER_HIT_RATE, source: str = PAPER_SOURCE) -> str:
    """'A sampled HR@10 of 0.82 (SASRec's paper, ML-1M) is about 0.31 full-ranking HR@10 here ...':
    a rough reading from the measured models, or why none can be made."""
    found = full_reading(rows, value)
    if found is None:
        return "Two models with different sampled hit rates are needed to read a paper's number here."
    full, beyond = found
    lo, hi = min(r.sampled for r in rows), max(r.sampled for r in rows)
    how = (
        f"extrapolated beyond the models measured here (sampled {lo:.2f} to {hi:.2f}) along their straight line"
        if beyond
        else f"interpolated between the models measured here (sampled {lo:.2f} to {hi:.2f})"
    )
    return (
        f"A sampled HR@10 of {value:.2f} ({source}) is about {full:.2f} full-ranking HR@10 here: a rough "
        f"reading, {how}, on another data set and catalogue than the paper's."
    )


def split_label(meta: Mapping[str, Any]) -> str:
    """'random split, seed 42': a saved model's split as its peers' rows name it."""
    split = meta.get("split", {})
    return f"{split.get('name', 'random')} split, seed {split.get('seed', meta.get('seed', 42))}"


def peer_name(prefix: str, split: str) -> str:
    """A peer's row name: 'Popularity (random split, seed 42)'."""
    return f"{PEERS[prefix][0]} ({split})"


def scored_rows(name: str, metrics: Mapping[str, Any], full_key: str, sampling: Sampling, split: str) -> list[Scored]:
    """A model's row and its peers' (those its metrics carry, named by `peer_name`) under one
    sampling, from flat metrics (`full_key`: the full-ranking hit rate@10 its task reports)."""
    hit_key, ndcg_key = sampling.keys
    rows = []
    for prefix in ("", *PEERS):
        if prefix + full_key in metrics and prefix + hit_key in metrics:
            rows.append(
                Scored(
                    name if prefix == "" else peer_name(prefix, split),
                    float(metrics[prefix + full_key]),
                    float(metrics[prefix + hit_key]),
                    float(metrics.get(prefix + ndcg_key, float("nan"))),
                )
            )
    return rows


def merged(rows: Sequence[Scored]) -> list[Scored]:
    """`rows` with each name once (the first): peers on a split several models share are one row."""
    seen: dict[str, Scored] = {}
    for row in rows:
        seen.setdefault(row.name, row)
    return list(seen.values())


@dataclass(frozen=True)
class Measured:
    """One saved model's measured metrics (its peers' included) and where they come from."""

    name: str
    kind: str
    split: str  # `split_label`
    metrics: Mapping[str, Any]


def task_groups(measured: Sequence[Measured], sampling: Sampling) -> dict[str, list[Scored]]:
    """The models and their peers (each split's peers once) under `sampling`, grouped by the
    full-ranking hit rate their task reports (`Task.sampled_against`), in the task table's order:
    only rows of one group rank against each other."""
    from recexplore.families import TASKS, family

    groups: dict[str, list[Scored]] = {}
    for m in measured:
        key = family(m.kind).task.sampled_against
        groups.setdefault(key, []).extend(scored_rows(m.name, m.metrics, key, sampling, m.split))
    order = list(dict.fromkeys(t.sampled_against for t in TASKS.values()))  # the task table's order
    return {key: merged(groups[key]) for key in sorted(groups, key=order.index)}
