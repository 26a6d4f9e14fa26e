"""Sampled against full ranking (issue 35): the pretrained retrieval and next-movie entries and their
peers, each measured by full-ranking HR@10 and by sampled HR@10 / NDCG@10 (N sampled movies the
user never rated, uniform and popularity-proportional), and the models' orderings under each.

Usage:
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/sampled_metrics.py [--n 100] [--seed 2020]
        [--entries towers-1-layer,...] [--models-dir cached_models] [--json PATH]

Every entry is measured on the split it was trained on (`evaluation.sampled_scoring.measure_loaded`);
an entry trained on other data is skipped with one line. Prints a markdown table per task (the rows
docs/benchmarks.md shows), each ordering, Kendall's tau, the swapped pairs, the inflation and the
paper-reading sentence. Bad settings (N out of range or above a user's unrated movies) get one line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recexplore.data.loading import load_movielens  # noqa: E402
from recexplore.evaluation.sampled import KINDS, SAMPLED_N, SAMPLED_SEED, Sampling  # noqa: E402
from recexplore.evaluation.sampled_comparison import (  # noqa: E402
    Measured,
    compare,
    paper_sentence,
    split_label,
    task_groups,
)
from recexplore.evaluation.sampled_scoring import measure_loaded  # noqa: E402

ENTRIES = ("towers-1-layer", "towers-2-layer", "towers-3-layer", "sequential-default", "sequential-gru")
COMMAND = "RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/sampled_metrics.py"


def measure(entries: list[str], models_dir: str, samplings: tuple[Sampling, ...]) -> list[Measured]:
    """Each entry's full and sampled metrics on its own split (its peers' beside them)."""
    from recexplore.store import registry

    data = load_movielens()
    found = []
    for name in entries:
        loaded = registry.load(name, models_dir)
        if loaded.meta.get("data_fingerprint") != data.fingerprint:
            print(f"{name}: skipped, trained on other data", file=sys.stderr)
            continue
        started = time.perf_counter()
        metrics = measure_loaded(loaded.kind, loaded.model, loaded.meta, data, loaded.vocab, samplings)
        print(f"{name}: measured in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        found.append(Measured(name, loaded.kind, split_label(loaded.meta), metrics))
    return found


def report(measured: list[Measured], samplings: tuple[Sampling, ...]) -> str:
    """The markdown: per task, a row per model and peer (full, each sampling's HR and NDCG and
    inflation), then each sampling's ordering, tau, swaps and the paper reading."""
    out = []
    first = samplings[0]
    for key, rows in task_groups(measured, first).items():
        by_kind = {s.kind: {r.name: r for r in task_groups(measured, s)[key]} for s in samplings}
        head = ["model", f"full {key}"]
        for s in samplings:
            head += [f"sampled HR@10 ({s.kind})", f"sampled NDCG@10 ({s.kind})", f"x ({s.kind})"]
        out += [f"### {key}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in sorted(rows, key=lambda r: -r.full):
            cells = [row.name, f"{row.full:.4f}"]
            for s in samplings:
                got = by_kind[s.kind][row.name]
                cells += [f"{got.sampled:.4f}", f"{got.sampled_ndcg:.4f}", f"{got.inflation:.1f}"]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
        for s in samplings:
            found = compare(list(by_kind[s.kind].values()))
            swaps = ", ".join(f"{a} > {b} on full, < on sampled" for a, b in found.swaps) or "none"
            out += [
                f"- {s.kind}: full order {' > '.join(found.full_order)}; sampled order "
                f"{' > '.join(found.sampled_order)}; Kendall's tau {found.tau:.3f}; swapped pairs: {swaps}.",
            ]
        out += [f"- {paper_sentence(list(by_kind[first.kind].values()))}", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=SAMPLED_N, help="sampled movies per test case")
    parser.add_argument("--seed", type=int, default=SAMPLED_SEED)
    parser.add_argument("--kinds", default=",".join(KINDS), help="sampling kinds, comma-separated")
    parser.add_argument("--entries", default=",".join(ENTRIES))
    parser.add_argument("--models-dir", default=str(ROOT / "cached_models"))
    parser.add_argument("--json", help="also write the measured metrics here")
    args = parser.parse_args(argv)
    try:
        samplings = tuple(Sampling(args.n, kind, args.seed) for kind in args.kinds.split(","))
        measured = measure([e for e in args.entries.split(",") if e], args.models_dir, samplings)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(report(measured, samplings))
    print(f"\nCommand: {COMMAND} --n {args.n} --seed {args.seed}")
    if args.json:
        Path(args.json).write_text(json.dumps([m.__dict__ for m in measured], indent=1, default=dict))
    return 0


if __name__ == "__main__":
    sys.exit(main())
