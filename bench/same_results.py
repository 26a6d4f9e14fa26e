"""Do two checkouts give the same results? For a refactoring that must not change what the code does.

Usage (real data through the project's data setting):
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/same_results.py --before ../old-checkout [--after .]

Runs the same `python -m recexplore train ... --json` commands (every family, seeded, two epochs) in each
checkout, each in a fresh cache and registry, and compares every key and value of their JSON (timings
aside). Exits 1 when any command's keys or values differ. Results go to bench/results/same_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
COMMANDS = (
    ("dlrm", "--epochs", "2"),
    ("dcn", "--epochs", "2"),
    ("towers", "--preset", "1-layer", "--epochs", "2"),
    ("towers", "--preset", "3-layer", "--epochs", "2"),
    ("sequential", "--epochs", "2"),
)
TIMINGS = {"train_seconds", "wall_seconds", "peer_seconds"}


def run(checkout: Path, command: tuple[str, ...], scratch: Path) -> dict:
    """`train COMMAND --json` in `checkout`, with its own cache and registry under `scratch`."""
    env = {
        **os.environ,
        "RECEXPLORE_CACHE_DIR": str(scratch / "cache"),
        "RECEXPLORE_MODELS_DIR": str(scratch / "models"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "recexplore", "train", *command, "--json"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the checkout to compare against")
    parser.add_argument("--after", type=Path, default=ROOT, help="the checkout under test (default: this one)")
    args = parser.parse_args()
    rows, same = [], True
    with tempfile.TemporaryDirectory(prefix="same-results-") as scratch:
        for i, command in enumerate(COMMANDS):
            before = run(args.before.resolve(), command, Path(scratch) / f"before{i}")
            after = run(args.after.resolve(), command, Path(scratch) / f"after{i}")
            keys_before, keys_after = set(before) - TIMINGS, set(after) - TIMINGS
            differ = sorted(k for k in keys_before & keys_after if before[k] != after[k])
            ok = keys_before == keys_after and not differ and "error" not in before
            same &= ok
            rows.append(
                {
                    "command": "train " + " ".join(command),
                    "keys": len(keys_after),
                    "same": ok,
                    "only_before": sorted(keys_before - keys_after),
                    "only_after": sorted(keys_after - keys_before),
                    "differ": differ,
                    "wall_seconds": [before.get("wall_seconds"), after.get("wall_seconds")],
                }
            )
            print(f"{rows[-1]['command']:<40} {len(keys_after):>3} keys  {'same' if ok else 'DIFFERENT'}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "same_results.json").write_text(json.dumps(rows, indent=2))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
