"""Rating families side by side (DLRM, DCN full and low rank, the DNN control) over 5 folds:
mean and spread of the test RMSE, parameters, seconds, and which differences are significant.

Usage:
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/rankers_bench.py [--seed 42] [--json PATH]

It runs `python -m recexplore compare-rankers --folds 5 --json` twice, as a user would: on the
official folds u1..u5 of the data folder, and on our own seeded 5 folds (`python -m recexplore
folds`, written into a scratch folder). Every model trains with its preset's settings, chosen on
validation slices of the training parts (bench/tune.py), never on these test parts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", default="42", help="the seed of our folds and of every training")
    parser.add_argument("--json", metavar="PATH", help="also write the two reports here")
    args = parser.parse_args()
    data = os.environ.get("RECEXPLORE_DATA_DIR")
    if not data:
        raise SystemExit("set RECEXPLORE_DATA_DIR to an ml-100k folder with its official folds")
    reports = {}
    if all((Path(data) / f"u{i}.base").is_file() for i in range(1, 6)):
        reports["official u1..u5"] = _cli("compare-rankers", "--data", data, "--folds", "5", "--seed", args.seed)
    else:
        print(f"{data} has no official folds u1..u5: measuring on our own seeded folds only")
    with tempfile.TemporaryDirectory(prefix="recexplore-rankers-") as scratch:
        _cli("folds", "--data", data, "--out", scratch, "--seed", args.seed)
        reports[f"our 5 folds (seed {args.seed})"] = _cli(
            "compare-rankers", "--data", scratch, "--folds", "5", "--seed", args.seed
        )
    for name, report in reports.items():
        print(f"\n{name}: {report['wall_seconds']:.0f} s wall on {report['device']}")
        print("| model | params | RMSE mean ± std | per fold | MAE | seconds per fit |")
        print("|---|---|---|---|---|---|")
        for r in report["rows"]:
            folds = " / ".join(f"{v:.4f}" for v in r["fold_test_rmse"])
            print(
                f"| {r['model']} | {r['params']:,} | {r['mean_test_rmse']:.4f} ± {r['std_test_rmse']:.4f} | {folds} "
                f"| {r['mean_test_mae']:.4f} | {r['mean_train_seconds']:.1f} |"
            )
        b = report["baselines"]
        print(f"baselines: global mean {b['global_mean_rmse']:.4f}, bias only {b['bias_only_rmse']:.4f}")
        for v in report["verdicts"]:
            print("-", v["sentence"])
        print(report["summary"])
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=1))


if __name__ == "__main__":
    main()
