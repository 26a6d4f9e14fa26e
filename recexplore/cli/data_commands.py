"""The data commands: `data` (summarise a data set and a split), `folds` (write k folds), `synth`."""

from __future__ import annotations

import argparse
import time

from recexplore.cli.inputs import load_data, load_split
from recexplore.cli.output import UsageError, emit


def cmd_data(args: argparse.Namespace) -> int:
    """Summarise the data set and the chosen split."""
    import resource

    data, split = load_split(args)
    movie_features = ("title", "genres", "year")
    payload = {
        "dataset": data.dataset,
        "title": data.source.title,
        "folder": str(data.folder),
        "fingerprint": data.fingerprint,
        "ratings": len(data.ratings),
        "users": len(data.users),
        "movies": len(data.movies),
        "features": [*data.source.user_features, *movie_features],
        "missing_features": list(data.missing_features),
        "splits": data.available_splits(),
        "split": split.describe(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    lines = [f"{k}: {v}" for k, v in payload.items()]
    emit(payload, args.json, lines)
    return 0


def cmd_folds(args: argparse.Namespace) -> int:
    """Write a seeded 5-fold split in the official format, with a copy of the data beside it."""
    from pathlib import Path

    from recexplore.data.splits import write_folds

    data = load_data(args)
    out = Path(args.out).expanduser()
    names = write_folds(data, out, seed=args.seed)
    payload = {"folder": str(out), "folds": names, "seed": args.seed, "ratings": len(data.ratings)}
    emit(
        payload,
        args.json,
        [f"wrote {', '.join(names)} (seed {args.seed}) into {out}: use --data {out} --split u1 .. u5"],
    )
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    """Write a synthetic data set in a MovieLens layout (no real rows: MovieLens may not be redistributed)."""
    from pathlib import Path

    from recexplore.data.synth import write_synthetic

    out = Path(args.out).expanduser()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} is not a new or empty folder")
    start = time.perf_counter()
    counts = write_synthetic(out, args.layout, args.ratings, args.users, args.movies, seed=args.seed)
    payload = {"folder": str(out), "layout": args.layout, **counts, "seconds": round(time.perf_counter() - start, 3)}
    emit(
        payload,
        args.json,
        [
            f"wrote {counts['ratings']:,} ratings of {counts['users']:,} users and {counts['movies']:,} movies "
            f"({args.layout} layout) into {out}: use --data {out}"
        ],
    )
    return 0
