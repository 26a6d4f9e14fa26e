"""A sweep's best against the preset, over folds, tuned apart on each (nested: no fold's test part is read
by the sweep that is tested on it).

Usage:
    python bench/sweep_folds.py dlrm --data ../shared/data/ml-100k [--folds N] [--trials 12] [--seed 42]
                                     [--search tpe|random] [--set NAME=VALUE ...] [--json PATH]

It writes seeded folds of the data set (`python -m recexplore folds`) into a scratch folder, then for
each fold runs `python -m recexplore tune FAMILY --split uK`, as a user would: the trials train on the
validation split of fold K's training part only, then the best settings and the preset are each trained
on the whole training part and tested on fold K's test part. It prints each fold's two test values, their
mean and spread over the folds, the paired difference (and its t statistic), and the seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "recexplore", *args, "--json"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"recexplore {' '.join(args)} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _spread(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4f} ± {sd:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", help="the family to tune")
    parser.add_argument("--data", required=True, help="the data set's folder")
    parser.add_argument("--folds", type=int, default=5, help="tune and test on the first N of the 5 folds")
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--seed", default="42")
    parser.add_argument("--search", default="tpe", choices=("tpe", "random"), help="passed to tune (default tpe)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="passed to tune")
    parser.add_argument("--json", metavar="PATH", help="also write every fold's record here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="recexplore-sweep-folds-") as scratch:
        folds = Path(scratch) / "folds"
        _cli("folds", "--data", args.data, "--out", str(folds), "--seed", args.seed)  # FOLDS (5) folds
        records = []
        for k in range(1, args.folds + 1):
            started = time.perf_counter()
            extra = [item for pair in args.set for item in ("--set", pair)]
            record = _cli(
                "tune",
                args.kind,
                "--data",
                str(folds),
                "--split",
                f"u{k}",
                "--trials",
                str(args.trials),
                "--seed",
                args.seed,
                "--search",
                args.search,
                "--models-dir",
                str(Path(scratch) / "models"),
                *extra,
            )
            record["fold_seconds"] = round(time.perf_counter() - started, 1)
            records.append(record)
            metric = record["metric"]
            best, preset = (record["tested"][name][metric] for name in ("best", "preset"))
            print(
                f"u{k}: best {best:.4f}, preset {preset:.4f} ({metric}); {len(record['trials'])} trials, "
                f"{record['failed']} failed; best settings {record['best']['settings']}; {record['fold_seconds']} s",
                flush=True,
            )
    metric = records[0]["metric"]
    best = [r["tested"]["best"][metric] for r in records]
    preset = [r["tested"]["preset"][metric] for r in records]
    diffs = [b - p for b, p in zip(best, preset, strict=True)]
    sd = statistics.stdev(diffs) if len(diffs) > 1 else math.nan
    t = statistics.mean(diffs) / (sd / math.sqrt(len(diffs))) if sd and sd > 0 else math.nan
    print(f"{metric} over {len(records)} folds: best {_spread(best)}; preset {_spread(preset)}")
    print(f"best - preset: {_spread(diffs)} (paired t = {t:.2f}, {len(diffs) - 1} degrees of freedom)")
    print(f"seconds: {sum(r['fold_seconds'] for r in records):.0f} in all")
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=1))


if __name__ == "__main__":
    main()
