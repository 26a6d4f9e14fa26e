"""Load test: N concurrent browser sessions ask the app for recommendations; are all served, how fast?

Usage:
    RECEXPLORE_DATA_DIR=../shared/data/ml-100k python bench/load_test.py [--sessions 20] [--requests 3]
        [--timeout 60] [--max-seconds 600] [--cold] [--json PATH]

One `streamlit run` on a free 127.0.0.1 port (real data and a copy of cached_models/ when
RECEXPLORE_DATA_DIR is set, else synthetic MovieLens files and a tiny two-tower model trained here)
and one headless Chromium with N browser contexts, each its own Streamlit session. Unless --cold,
one session goes through the steps below first (Keras import, model load, index build; reported,
not counted). Then all N sessions start together; each opens the app (Home), goes to Recommend in
the sidebar (user 1's top 10) and picks --requests other users in the searchable box. A step is
served when its final text is visible and Streamlit's 'Running' indicator is gone (as in
bench/browser_bench.py) within --timeout; the run stops after --max-seconds. The WebSocket frames
also give the server's own answer time, which tells a slow server from a slow browser, and any
answer with fewer than 10 movies. Exits 1 when any session was not served. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser_app import (  # noqa: E402 - the repo root must be on the path first
    CHROMIUM_ARGS,
    PAGES,
    app_env,
    browser_available,
    choose_user_async,
    chromium_executable,
    open_page_async,
    running_app,
    wait_idle_async,
    wait_text_async,
)


@dataclass
class Session:
    """One browser session's users and what it got (seconds; None: not served)."""

    users: list[int]
    started: bool = False
    home: float | None = None
    recommend: float | None = None  # the Recommend page, first time in this session
    latencies: list[float] = field(default_factory=list)  # other users, served ones
    # On the wire: the browser's request frame -> the server's "Top N for user X" frame, for every
    # request the server answered, shown in time or not.
    server_home: float | None = None
    server_recommend: float | None = None
    server_latencies: list[float] = field(default_factory=list)
    short_answers: list[str] = field(default_factory=list)  # answers with fewer than 10 movies
    errors: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)  # a WHY key per step not served

    @property
    def served(self) -> bool:
        return None not in (self.home, self.recommend) and len(self.latencies) == len(self.users)


class Sampler(threading.Thread):
    """Samples, every 0.5 s, the server's RSS and the CPU seconds of the server, Chromium,
    Playwright's driver and this script (everything this process started)."""

    def __init__(self, server_pid: int) -> None:
        super().__init__(daemon=True)
        self.server = psutil.Process(server_pid)
        self.rss_peak = 0
        self.cpu: dict[int, float] = {}  # pid -> last seen CPU seconds
        self.names: dict[int, str] = {os.getpid(): "this script", server_pid: "server"}
        self.base: dict[int, float] = {}  # pid -> CPU seconds when measuring began
        self.stopped = threading.Event()

    def _tree(self) -> list[psutil.Process]:
        return [psutil.Process(), *psutil.Process().children(recursive=True)]

    def sample(self) -> None:
        for proc in self._tree():
            try:
                if proc.pid not in self.names:
                    name = Path(proc.exe()).name or proc.name()  # Chromium's zygote children are named "exe"
                    self.names[proc.pid] = "Playwright driver" if name.startswith("node") else name
                times = proc.cpu_times()
                self.cpu[proc.pid] = times.user + times.system
                if proc.pid == self.server.pid:
                    self.rss_peak = max(self.rss_peak, proc.memory_info().rss)
            except psutil.Error:
                pass

    def mark(self) -> None:
        """Start counting CPU seconds from now."""
        self.sample()
        self.base = dict(self.cpu)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds since `mark()` by process name (server, chromium, Playwright driver, this script)."""
        self.sample()
        used: dict[str, float] = {}
        for pid, cpu in self.cpu.items():
            used[self.names[pid]] = used.get(self.names[pid], 0.0) + cpu - self.base.get(pid, 0.0)
        return used

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            self.sample()


def pick_users(data_dir: Path, sessions: int, requests: int, seed: int = 0) -> list[list[int]]:
    """`requests` distinct users per session (never user 1, the page's default), spread over all users."""
    n_users = len((data_dir / "u.user").read_text(encoding="latin-1").splitlines())
    pool = list(range(2, n_users + 1))
    random.Random(seed).shuffle(pool)
    return [[pool[(s * requests + r) % len(pool)] for r in range(requests)] for s in range(sessions)]


HOME = 0  # Wire's key for Home (no MovieLens user has id 0)
VIEWPORT = {"width": 1400, "height": 1000}  # as tests/browser_app.chromium_page


class Wire:
    """A page's WebSocket traffic: when the browser sent each frame, and when the server's frame
    with "Top N for user X" (or Home's last section, key HOME) first arrived. These are network
    events, independent of how fast the page renders."""

    def __init__(self, page: Any) -> None:
        self.sent: list[float] = []
        self.answered: dict[int, tuple[float, int]] = {}  # user -> (when, movies in the answer)
        page.on("websocket", self._attach)

    def _attach(self, ws: Any) -> None:
        ws.on("framesent", lambda _payload: self.sent.append(time.perf_counter()))
        ws.on("framereceived", self._received)

    def _received(self, payload: str | bytes) -> None:
        now = time.perf_counter()
        data = payload if isinstance(payload, bytes) else payload.encode()
        if PAGES["Home"][1].encode() in data:
            self.answered.setdefault(HOME, (now, 10))
        # A protobuf string: its length (one byte for short ones) comes right before it.
        for match in re.finditer(rb"(?<=[\x00-\x7f])Top \d+ for user \d+", data):
            words = data[match.start() : match.start() + data[match.start() - 1]].split()
            if words[-1].isdigit():
                self.answered.setdefault(int(words[-1]), (now, int(words[1])))

    def asked(self, since: float) -> float | None:
        """When the browser first sent a frame after `since`."""
        return next((t for t in self.sent if t >= since), None)

    def answer(self, user: int, since: float) -> tuple[float, int] | None:
        """(seconds from the browser's first frame after `since` to the server's answer for `user`,
        movies in that answer), or None when there was no such request and answer."""
        answered, sent = self.answered.get(user), self.asked(since)
        return None if answered is None or sent is None or sent > answered[0] else (answered[0] - sent, answered[1])


def one_line(err: BaseException) -> str:
    """An exception's type and the first line of its message."""
    return f"{type(err).__name__}: {(str(err).splitlines() or [''])[0]}"


async def open_home(page: Any, url: str, timeout: float) -> float:
    """Open the app's root URL; seconds until Home's last section shows and its run has ended."""
    started = time.perf_counter()
    await page.goto(url, timeout=timeout * 1000)
    await wait_text_async(page, PAGES["Home"][1], timeout)
    await wait_idle_async(page, timeout)
    return time.perf_counter() - started


async def run_session(context: Any, url: str, session: Session, timeout: float, go: asyncio.Event) -> None:
    """Wait for `go`; open Home, then Recommend from the sidebar, then ask for each user in turn."""
    page = await context.new_page()
    wire = Wire(page)
    await go.wait()
    session.started = True
    steps: list[tuple[str, int, Callable[[], Awaitable[float]]]] = [
        ("Home", HOME, lambda: open_home(page, url, timeout)),
        ("Recommend", 1, lambda: open_page_async(page, "Recommend", timeout)),
        *[(f"user {u}", u, lambda u=u: choose_user_async(page, u, timeout)) for u in session.users],
    ]
    for what, user, step in steps:
        since = time.perf_counter()
        try:
            seconds: float | None = await asyncio.wait_for(step(), timeout)
        except Exception as err:  # a timeout or a broken page: not served
            seconds = None
            reason = f"not shown within {timeout:g} s" if type(err).__name__ == "TimeoutError" else one_line(err)
            why, story = wire_story(wire, user, since)
            session.why.append(why)
            session.errors.append(f"{what}: {reason}; {story}")
        answer = wire.answer(user, since)
        if answer is not None and answer[1] != 10:
            session.short_answers.append(f"{what}: the server sent 'Top {answer[1]} for user {user}'")
        if what == "Home":
            session.home, session.server_home = seconds, answer and answer[0]
        elif what == "Recommend":
            session.recommend, session.server_recommend = seconds, answer and answer[0]
        else:
            session.latencies += [seconds] if seconds is not None else []
            session.server_latencies += [answer[0]] if answer is not None else []
        if seconds is None and what in ("Home", "Recommend"):
            return  # without the page there is nothing more to ask


WHY = {
    "no request": "the browser sent no request (browser too slow)",
    "no answer": "the server did not answer",
    "short": "the server answered with fewer than 10 movies",
    "not shown": "the server answered, the browser did not show it in time",
}


def wire_story(wire: Wire, user: int, since: float) -> tuple[str, str]:
    """Why a step was not served, as a WHY key, and what the WebSocket saw of it."""
    if wire.asked(since) is None:
        return "no request", "the browser sent no request"
    answer = wire.answer(user, since)
    if answer is None:
        return "no answer", "the browser asked; no answer from the server"
    why = "short" if answer[1] != 10 else "not shown"
    return why, f"the server answered{'' if user == HOME else f' (Top {answer[1]})'} after {answer[0]:.1f} s"


async def drive(
    url: str, users: list[list[int]], args: argparse.Namespace, deadline: float, sampler: Sampler
) -> dict[str, Any]:
    """The browser side: optional warm-up, then all sessions at once; the figures."""
    from playwright.async_api import async_playwright

    sessions = [Session(u) for u in users]
    out: dict[str, Any] = {"warm_up_s": None}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            if not args.cold:  # a failed warm-up is reported; the sessions still run
                warm, go = Session([]), asyncio.Event()
                go.set()
                wait = max(1.0, min(max(args.timeout, 120.0), deadline - time.monotonic()))
                await run_session(await browser.new_context(viewport=VIEWPORT), url, warm, wait, go)
                if warm.home is not None and warm.recommend is not None:
                    out["warm_up_s"] = warm.home + warm.recommend
                out["warm_up_error"] = "; ".join(warm.errors) or None
            contexts = [await browser.new_context(viewport=VIEWPORT) for _ in sessions]
            go = asyncio.Event()
            tasks = [
                asyncio.ensure_future(run_session(c, url, s, args.timeout, go))
                for c, s in zip(contexts, sessions, strict=True)
            ]
            await asyncio.sleep(0.5)  # let every session open its blank page first
            sampler.mark()
            started = time.perf_counter()
            go.set()
            _, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()))
            for task in pending:  # over --max-seconds: whatever is still running is not served
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            out["wall_s"] = time.perf_counter() - started
            out["cpu_s"] = sampler.cpu_seconds()
            out["hit_max_seconds"] = bool(pending)
        finally:
            await browser.close()
    out["sessions"] = sessions
    return out


def summary(values: list[float]) -> dict[str, float | int | None]:
    """n, p50, p95 and max of `values` (seconds); None where there are none."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    p95 = statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]
    return {"n": len(values), "p50": statistics.median(values), "p95": p95, "max": max(values)}


def prepare(base: Path) -> tuple[Path, Path, Path, str]:
    """Data folder, registry, parse cache and a label: the real data with a copy of cached_models/
    when RECEXPLORE_DATA_DIR is set, else synthetic files and one tiny two-tower model."""
    shared = os.environ.get("RECEXPLORE_DATA_DIR")
    if shared and Path(shared).is_dir():
        shutil.copytree(ROOT / "cached_models", base / "models")
        cache = Path(os.environ.get("RECEXPLORE_CACHE_DIR", Path.home() / ".cache" / "recexplore"))
        return Path(shared), base / "models", cache, "real data"
    from tests.conftest import save_tiny_models
    from tests.synthetic import write_movielens

    data = write_movielens(base / "ml-100k")
    (base / "models").mkdir()
    save_tiny_models(base / "models", data, {"towers-load": (8,)})
    return data, base / "models", base / "cache", "synthetic data"


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the server, drive the sessions, collect every figure (JSON-ready)."""
    deadline = time.monotonic() + args.max_seconds
    base = Path(tempfile.mkdtemp(prefix="recexplore-load-"))
    try:
        data_dir, models, cache, label = prepare(base)
        users = pick_users(data_dir, args.sessions, args.requests)
        with running_app(app_env(data_dir, models, cache), base / "streamlit.log") as server:
            sampler = Sampler(server.process.pid)
            sampler.start()
            try:
                out = asyncio.run(drive(server.url, users, args, deadline, sampler))
            finally:
                sampler.stopped.set()
            tracebacks = server.log_tail(10**7).count("Traceback")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    sessions: list[Session] = out.pop("sessions")
    return {
        "data": label,
        "sessions": args.sessions,
        "requests_per_session": args.requests,
        "sessions_started": sum(s.started for s in sessions),
        "sessions_served": sum(s.served for s in sessions),
        "home_served": sum(s.home is not None for s in sessions),
        "recommend_served": sum(s.recommend is not None for s in sessions),
        "requests_served": sum(len(s.latencies) for s in sessions),
        "requests_total": args.sessions * args.requests,
        "home_s": summary([s.home for s in sessions if s.home is not None]),
        "first_recommend_s": summary([s.recommend for s in sessions if s.recommend is not None]),
        "another_user_s": summary([t for s in sessions for t in s.latencies]),
        "server_home_s": summary([s.server_home for s in sessions if s.server_home is not None]),
        "server_first_recommend_s": summary([s.server_recommend for s in sessions if s.server_recommend is not None]),
        "server_another_user_s": summary([t for s in sessions for t in s.server_latencies]),
        "short_answers": [a for s in sessions for a in s.short_answers],
        **out,
        "server_rss_peak_mb": sampler.rss_peak / 2**20,
        "server_tracebacks": tracebacks,
        "cpu_cores": os.cpu_count(),
        "not_served_because": {why: n for why in WHY if (n := sum(s.why.count(why) for s in sessions))},
        "errors": [e for s in sessions for e in s.errors],
    }


def report(fig: dict[str, Any]) -> str:
    """The figures as a few lines of text."""

    def row(name: str, s: dict[str, Any]) -> str:
        if not s["n"]:
            return f"  {name:<26} {0:>4}      -      -      -"
        return f"  {name:<26} {s['n']:>4} {s['p50']:6.2f} {s['p95']:6.2f} {s['max']:6.2f}"

    warm = (
        f"{fig['warm_up_s']:.1f} s" if fig["warm_up_s"] is not None else fig.get("warm_up_error") or "skipped (--cold)"
    )
    lines = [
        f"RecExplore load test: {fig['sessions']} sessions x {fig['requests_per_session']} users, {fig['data']}, loopback",
        f"warm-up (one session: Home, then Recommend; not counted): {warm}",
        f"sessions served (every step shown): {fig['sessions_served']} / {fig['sessions_started']} started / {fig['sessions']} asked",
        f"steps served: Home {fig['home_served']} / {fig['sessions']}, first Recommend {fig['recommend_served']} / "
        f"{fig['sessions']}, another user {fig['requests_served']} / {fig['requests_total']}",
        f"{'latency in the browser (s)':<28} {'n':>4} {'p50':>6} {'p95':>6} {'max':>6}",
        row("app opened (Home)", fig["home_s"]),
        row("first Recommend page", fig["first_recommend_s"]),
        row("another user", fig["another_user_s"]),
        "server's answer on the wire (request frame -> answer frame, shown in time or not):",
        row("app opened (Home)", fig["server_home_s"]),
        row("first Recommend page", fig["server_first_recommend_s"]),
        row("another user", fig["server_another_user_s"]),
        f"answers with fewer than 10 movies: {len(fig['short_answers'])}",
        f"wall time, all sessions: {fig['wall_s']:.1f} s"
        + (" (stopped at --max-seconds)" if fig["hit_max_seconds"] else ""),
        f"CPU seconds meanwhile ({fig['cpu_cores']} cores): "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in sorted(fig["cpu_s"].items(), key=lambda x: -x[1])),
        f"server RSS peak: {fig['server_rss_peak_mb']:.0f} MB; tracebacks in the server log: {fig['server_tracebacks']}",
    ]
    lines += [f"  short answer: {a}" for a in fig["short_answers"][:20]]
    lines += [f"steps not served because {WHY[why]}: {n}" for why, n in fig["not_served_because"].items()]
    lines += [f"  not served: {e}" for e in fig["errors"][:20]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the load test; 0 when every session was served, 1 otherwise, 2 when it cannot run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent browser sessions (default 20)")
    parser.add_argument("--requests", type=int, default=3, help="other users each session asks for (default 3)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default 60)")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="bound on the whole run (default 600)")
    parser.add_argument("--cold", action="store_true", help="no warm-up session: sessions meet the server cold")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.requests < 0 or args.timeout <= 0 or args.max_seconds <= 0:
        parser.error("--sessions must be >= 1, --requests >= 0, --timeout and --max-seconds > 0")
    missing = browser_available()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    fig = run(args)
    print(report(fig))
    if args.json is not None:
        args.json.write_text(json.dumps(fig, indent=2) + "\n")
    return 0 if fig["sessions_served"] == args.sessions else 1


if __name__ == "__main__":
    sys.exit(main())
