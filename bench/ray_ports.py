"""Which addresses a local Ray listens on while `compare-towers` trains (no cluster address set).

Usage:
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/ray_ports.py [--epochs 1]

Runs `python -m recexplore compare-towers --epochs N --json` with RECEXPLORE_RAY_ADDRESS and
RAY_ADDRESS unset, and twice a second reads `ss -ltnpH` (every listening TCP socket of the
machine, with its process) and keeps those that belong to the command's process tree. Prints
each socket once (process, address, port) and a summary; exits 1 when any of them listens on an
address other than loopback. Data: RECEXPLORE_DATA_DIR, else a synthetic folder.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
SS_LINE = re.compile(r"LISTEN\s+\d+\s+\d+\s+(?P<addr>\S+):(?P<port>\d+)\s+\S+\s+users:\((?P<users>.*)\)")
PID = re.compile(r'\("(?P<name>[^"]+)",pid=(?P<pid>\d+)')


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and their IPv4-mapped form ('*' and '0.0.0.0' are every interface)."""
    text = address.strip("[]").split("%")[0]
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return False
    mapped = getattr(parsed, "ipv4_mapped", None)
    return (mapped or parsed).is_loopback


def listening(tree: set[int]) -> set[tuple[str, str, int]]:
    """(process name, address, port) of every listening TCP socket owned by a process in `tree`."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    found = set()
    for line in out.splitlines():
        match = SS_LINE.search(line)
        if not match:
            continue
        for user in PID.finditer(match["users"]):
            if int(user["pid"]) in tree:
                found.add((user["name"], match["addr"], int(match["port"])))
    return found


def process_tree(root: psutil.Process) -> set[int]:
    """The pids of `root` and its descendants (empty once it has exited)."""
    try:
        return {root.pid, *(c.pid for c in root.children(recursive=True))}
    except psutil.NoSuchProcess:
        return set()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("RECEXPLORE_RAY_ADDRESS", "RAY_ADDRESS")}
    with tempfile.TemporaryDirectory() as scratch:
        if not env.get("RECEXPLORE_DATA_DIR"):
            sys.path.insert(0, str(ROOT))
            from tests.synthetic import write_movielens

            env["RECEXPLORE_DATA_DIR"] = str(write_movielens(Path(scratch) / "ml-100k"))
        env["RECEXPLORE_CACHE_DIR"] = str(Path(scratch) / "cache")
        command = [sys.executable, "-m", "recexplore", "compare-towers", "--epochs", str(args.epochs), "--json"]
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        root = psutil.Process(child.pid)
        seen: set[tuple[str, str, int]] = set()
        samples = 0
        while child.poll() is None:
            seen |= listening(process_tree(root))
            samples += 1
            time.sleep(0.5)
        child.communicate()
    wide = sorted(s for s in seen if not is_loopback(s[1]))
    for name, address, port in sorted(seen):
        print(f"{'loopback' if is_loopback(address) else 'EXPOSED '}  {name:<24} {address}:{port}")
    print(
        f"compare-towers exit {child.returncode} in {time.perf_counter() - started:.0f} s; {samples} samples; "
        f"{len(seen)} listening sockets of its Ray, {len(wide)} on a non-loopback address"
    )
    return 1 if wide or child.returncode != 0 or not seen else 0


if __name__ == "__main__":
    raise SystemExit(main())
