"""The saved-model commands: `models list`, `models delete` and `recommend` (top-k from a saved model)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from recexplore.cli.inputs import load_data
from recexplore.cli.output import UsageError, emit, json_default


def cmd_models(args: argparse.Namespace) -> int:
    """List or delete registry entries."""
    from recexplore.store import registry

    if args.action == "delete":
        registry.delete(args.name, args.models_dir)
        print(f"deleted {args.name}")
        return 0
    entries = registry.list_entries(args.models_dir)
    rows = []
    for e in entries:
        metrics = e.meta.get("metrics", {})
        headline = _headline(metrics)
        rows.append({"name": e.name, "kind": e.kind, "ok": e.ok, "problem": e.problem, "metrics": metrics})
        status = headline if e.ok else f"BROKEN: {e.problem}"
        print(f"{e.name:<24} {e.kind:<7} {status}") if not args.json else None
    if args.json:
        print(json.dumps({"models": rows}, default=json_default))
    elif not entries:
        print(f"no models in {registry.models_dir(args.models_dir)}")
    return 0


def _headline(metrics: dict[str, Any]) -> str:
    """An entry's headline metric ('test_rmse=0.8866'): the first task whose headline it has (read
    from the metrics, so a listing imports no model code); '?' when it has none."""
    from recexplore.families import TASKS

    task = next((t for t in TASKS.values() if t.headline in metrics), None)
    return task.headline_text(metrics) if task is not None else "?"


def cmd_recommend(args: argparse.Namespace) -> int:
    """Print top-k recommendations for one user, or for a new user from `--rate`."""
    from recexplore.evaluation.scoring import prepare_loaded
    from recexplore.families import RECOMMEND, families, family
    from recexplore.serving.recommend import Recommender, resolve_movies, serve_new_user
    from recexplore.serving.retrieval_index import check_indexable, index_config
    from recexplore.store import registry

    name = args.model or families(view=RECOMMEND)[0].default_entry
    settings = ("nlist", "nprobe", "hnsw_m", "ef_search")
    config = index_config(kind=args.index, **{s: getattr(args, s) for s in settings})
    loaded = registry.load(name, args.models_dir)
    if args.index is not None:
        check_indexable(name, loaded.kind)
    if not family(loaded.kind).offers(RECOMMEND):
        raise UsageError(f"model {name!r} is a {loaded.kind} model; recommend needs a retrieval model")
    data = load_data(args)
    space, split = prepare_loaded(loaded.kind, loaded.model, loaded.meta, data, loaded.vocab)
    recommender = Recommender.build(loaded.model, loaded.vocab, data, split, space)
    if args.rate is not None:
        ratings = resolve_movies(data, args.rate)
        served = serve_new_user(recommender, ratings, args.k, config)
        who: dict[str, Any] = {"ratings": {str(m): s for m, s in ratings.items()}}
    else:
        served = recommender.serve(args.user, args.k, config)
        who = {"user": int(args.user)}
    frame = served.frame
    payload = {
        **who,
        "model": name,
        "index": served.index,
        "recall_vs_exact": served.recall_vs_exact,
        "recommendations": frame.to_dict(orient="records"),
    }
    lines = [f"{r.rank:>3}. {r.movie_title} [{r.movie_genres}] score={r.score:.3f}" for r in frame.itertuples()]
    if config.approximate:
        lines.append(f"served by {served.index}: recall@{args.k} vs exact {served.recall_vs_exact:.2f}")
    emit(payload, args.json, lines)
    return 0
