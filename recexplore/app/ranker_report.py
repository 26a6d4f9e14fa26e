"""The Compare rankers page's pure helpers: what a comparison trains, its latest jobs, its report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from recexplore.data.movielens import DataError
from recexplore.data.splits import FOLDS, fold_splits
from recexplore.evaluation.ranker_comparison import LIST_KEYS, POINTWISE, compare_rows, rankers
from recexplore.families import RATING, family, task_presets
from recexplore.training.request import TrainRequest

ONE_SPLIT, ALL_FOLDS = "One split", "All five folds"
LIST_NAMES = {
    "list_ndcg_at_5": "list NDCG@5",
    "list_ndcg_at_10": "list NDCG@10",
    "list_mrr": "list MRR",
}  # table columns


def scope_splits(
    data: Any, scope: str, split: str, limit: int, losses: Sequence[str] = POINTWISE
) -> tuple[list[str], str | None]:
    """The splits a comparison of `scope` (of the rankers trained with `losses`) trains on, and None,
    or one line on why it cannot be trained from the page (the folds are missing, or it would pass
    the workspace's job limit)."""
    if scope == ALL_FOLDS:
        try:
            splits = fold_splits(data, len(FOLDS))
        except DataError as err:
            return [], str(err)
    else:
        splits = [split]
    needed = len(rankers(losses)) * len(splits)
    if needed > limit:
        flag = "" if tuple(losses) == POINTWISE else f" --losses {','.join(losses)}"
        return splits, (
            f"{scope} trains {needed} models and this workspace may have {limit} jobs at once: run "
            f"`python -m recexplore compare-rankers --folds {len(splits)}{flag}` (the same report), or have the "
            "operator raise RECEXPLORE_MAX_ACTIVE_JOBS."
        )
    return splits, None


def comparison_requests(
    splits: Sequence[str], seed: int, epochs: int | None = None, losses: Sequence[str] = POINTWISE
) -> list[TrainRequest]:
    """Every rating preset of `losses` on every split, each with its preset's settings (or `epochs` for all)."""
    return [
        TrainRequest(fam.name, fam.make_config(preset, epochs=epochs), split, seed, label=preset, preset=preset)
        for split in splits
        for fam, preset in rankers(losses)
    ]


def latest_rankers(jobs: Sequence[Any]) -> list[Any]:
    """The jobs of the newest comparison among a workspace's jobs (newest first): the last group
    of rating-preset jobs; [] when there is none."""
    kinds = {fam.name for fam, _ in task_presets(RATING)}
    mine = [j for j in jobs if getattr(j.request, "preset", None) and j.request.kind in kinds]
    if not mine:
        return []
    return [j for j in mine if j.group == mine[0].group]


def report(jobs: Sequence[Any]) -> dict[str, Any] | None:
    """compare-rankers' report of finished jobs (the same rows, verdicts and summary), or None
    while any is unfinished or failed."""
    if not jobs or any(j.result is None for j in jobs):
        return None
    splits = sorted({j.request.split for j in jobs})  # u1 .. u5, or the one split
    order = [preset for _, preset in task_presets(RATING)]
    shown = sorted(jobs, key=lambda j: order.index(j.request.preset) if j.request.preset in order else len(order))
    return compare_rows([(j.request.preset, j.request.kind, j.request.split, j.result) for j in shown], splits)


def table_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's rows as the page's table shows them, the baselines last."""
    many = len(payload["splits"]) > 1
    rows = []
    for r in payload["rows"]:
        if many:
            rmse = f"{r['mean_test_rmse']:.4f} ± {r['std_test_rmse']:.4f}"
            mae, seconds = r["mean_test_mae"], r["mean_train_seconds"]
        else:
            rmse, mae, seconds = f"{r['test_rmse']:.4f}", r["test_mae"], r["train_seconds"]
        lists = {
            LIST_NAMES[key]: f"{r[f'mean_{key}']:.4f} ± {r[f'std_{key}']:.4f}" if many else f"{r[key]:.4f}"
            for key in LIST_KEYS
        }
        rows.append(
            {
                "model": r["model"],
                "loss": r["loss"],
                "RMSE": rmse,
                "MAE": round(mae, 4),
                **lists,
                "params": r["params"],
                "seconds": round(seconds, 1),
            }
        )
    base = payload["baselines"]
    for prefix, key, name in (
        ("bias_only_", "bias_only_rmse", "bias only (baseline)"),
        ("popularity_", None, "popularity (baseline)"),
        (None, "global_mean_rmse", "global mean (baseline)"),
    ):
        lists = {LIST_NAMES[k]: f"{base[prefix + k]:.4f}" if prefix else None for k in LIST_KEYS}
        rmse = f"{base[key]:.4f}" if key else None
        rows.append({"model": name, "loss": None, "RMSE": rmse, "MAE": None, **lists, "params": 0, "seconds": None})
    return rows


@dataclass(frozen=True)
class SavedRanker:
    """A saved rating model's figures in the shape `compare_rows` reads from a finished training."""

    metrics: Mapping[str, float]
    config: Any
    params: int
    train_seconds: float

    @classmethod
    def of(cls, kind: str, meta: Mapping[str, Any], metrics: Mapping[str, float]) -> SavedRanker:
        """From a registry entry's kind and metadata, with its test metrics (held-out lists included)."""
        config = family(kind).make_config(**(meta.get("config") or {}))
        return cls(metrics, config, int(meta.get("params") or 0), float(meta.get("train_seconds") or 0.0))


def split_label(meta: Mapping[str, Any]) -> str:
    """The split a saved model was trained on, as the report names it ('random (seed 42)', 'u1')."""
    split = meta.get("split") or {}
    name = str(split.get("name", "random"))
    return f"{name} (seed {meta.get('seed', split.get('seed', 42))})" if name == "random" else name


def saved_group(entries: Sequence[tuple[str, str, Mapping[str, Any]]], pinned: Sequence[str]) -> list[int]:
    """Which of the saved rating models (name, kind, meta) to set side by side: those trained on the same
    split as the first `pinned` name present (the pretrained entries), else on the most common split;
    at least one model trained with a list loss and one without, else none."""
    if not entries:
        return []
    labels = [split_label(meta) for _, _, meta in entries]
    anchor = next((labels[i] for p in pinned for i, (name, _, _) in enumerate(entries) if name == p), None)
    chosen = anchor or max(set(labels), key=labels.count)
    group = [i for i, label in enumerate(labels) if label == chosen]
    losses = {
        str(family(entries[i][1]).make_config(**(entries[i][2].get("config") or {})).training_loss) for i in group
    }
    return group if len(losses) > 1 and POINTWISE[0] in losses else []


def saved_report(rankers_: Sequence[tuple[str, str, Mapping[str, Any], Mapping[str, float]]]) -> dict[str, Any]:
    """compare-rankers' report (rows, baselines, the list sentence) of saved models on their one split:
    (name, kind, meta, test metrics) each."""
    split = split_label(rankers_[0][2])
    results = [(name, kind, split, SavedRanker.of(kind, meta, metrics)) for name, kind, meta, metrics in rankers_]
    return compare_rows(results, [split])
