"""python -m bench.profile [--backend sqlite|postgresql] [--runs 3] [--seconds 15] [--py-spy DIR]

The read hot paths under load: 10,000 seeded tasks of one user, the API under uvicorn, and
Locust (headless, FastHttpUser) keeping 50 connections busy on one scenario at a time, every
request with a Bearer token. Prints req/s, p50 and p99 per scenario (the median of the runs);
with --py-spy, samples the server with py-spy during each scenario's first run (only threads
holding the GIL: where Python spends CPU) and prints the frames it spent its time in.
"""

import argparse
import collections
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import gevent
import psutil
from locust import FastHttpUser, constant, task
from locust.env import Environment

from bench import machine
from bench.workload import WORDS, reference_now, seed, settle
from tests.support.accounts import admin_token, bearer
from tests.support.servers import fresh_postgres_database, migrate, serve_api

TASKS = 10_000
# One word of the seeded vocabulary per search, common and rare ones alike.
SEARCH_WORDS = WORDS[::7]
PY_SPY = Path(sys.executable).parent / "py-spy"


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Callable[[random.Random], str]


SCENARIOS = (
    Scenario("page of 50, by due date", lambda _: "/api/tasks?limit=50&sort_by=due_date"),
    Scenario("filter pending + high", lambda _: "/api/tasks?status=pending&priority=high"),
    Scenario("text search, one word", lambda rng: f"/api/tasks?q={rng.choice(SEARCH_WORDS)}"),
    Scenario("one task by id", lambda rng: f"/api/tasks/{rng.randint(1, TASKS)}"),
    Scenario("health (framework floor)", lambda _: "/health/live"),
)


@dataclass(frozen=True)
class Result:
    requests_per_second: float
    p50: float
    p99: float
    failures: int


def main() -> None:
    options = _options()
    with (
        tempfile.TemporaryDirectory(prefix="taskflow-profile-") as scratch,
        _database(options.backend, Path(scratch)) as url,
    ):
        print(f"{options.backend}: migrating and seeding {TASKS:,} tasks", flush=True)
        print(f"load average (1/5/15 min) at start: {machine.load()}", flush=True)
        migrate(url)
        seed(url, TASKS, reference_now())
        with serve_api(url, Path(scratch) / "uvicorn.log") as base_url:
            headers = bearer(admin_token(base_url))
            settle(url)
            server = _server_pid()
            results: dict[str, list[Result]] = collections.defaultdict(list)
            for run in range(options.runs):
                for scenario in SCENARIOS:
                    spy = None
                    if options.py_spy and run == 0:
                        spy = options.py_spy / f"{_slug(scenario.name)}.txt"
                    result = _load(base_url, headers, scenario, options, server, spy)
                    results[scenario.name].append(result)
                    print(f"run {run + 1} {scenario.name}: {_row(result)}", flush=True)
    print(f"load average (1/5/15 min) at end: {machine.load()}")
    print(f"\n{options.backend}, {options.users} connections, median of {options.runs} runs")
    print("| scenario | req/s | p50 / p99 ms | failures |\n|---|--:|--:|--:|")
    for name, runs in results.items():
        print(f"| {name} | {_row(_median(runs))} |")
    if options.py_spy:
        for scenario in SCENARIOS:
            _summarize(scenario.name, options.py_spy / f"{_slug(scenario.name)}.txt")


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--users", type=int, default=50, help="concurrent connections")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15, help="measured, per scenario")
    parser.add_argument("--warmup", type=float, default=3, help="seconds before measuring")
    parser.add_argument("--py-spy", type=Path, metavar="DIR", help="profile into DIR")
    options = parser.parse_args()
    if options.py_spy:
        options.py_spy.mkdir(parents=True, exist_ok=True)
    return options


@contextmanager
def _database(backend: str, scratch: Path) -> Iterator[str]:
    if backend == "postgresql":
        with fresh_postgres_database("taskflow_profile") as url:
            yield url
    else:
        yield f"sqlite:///{scratch / 'profile.db'}"


def _server_pid() -> int:
    """The uvicorn process serve_api started (our only child running it)."""
    for child in psutil.Process().children(recursive=True):
        if "uvicorn" in " ".join(child.cmdline()):
            return int(child.pid)
    raise RuntimeError("no uvicorn child process")


def _load(
    base_url: str,
    headers: dict[str, str],
    scenario: Scenario,
    options: argparse.Namespace,
    server: int,
    spy: Path | None,
) -> Result:
    rng = random.Random(12)

    class Reader(FastHttpUser):
        host = base_url
        wait_time = constant(0)

        @task
        def read(self) -> None:
            self.client.get(scenario.path(rng), headers=headers, name=scenario.name)

    environment = Environment(user_classes=[Reader])
    runner = environment.create_local_runner()
    runner.start(options.users, spawn_rate=options.users)
    gevent.sleep(options.warmup)
    environment.stats.reset_all()
    recorder = _py_spy(server, options.seconds, spy) if spy else None
    started = time.perf_counter()
    gevent.sleep(options.seconds)
    stats = environment.stats.total
    elapsed = time.perf_counter() - started
    result = Result(
        stats.num_requests / elapsed,
        stats.get_response_time_percentile(0.5),
        stats.get_response_time_percentile(0.99),
        stats.num_failures,
    )
    runner.quit()
    if recorder is not None:
        recorder.wait()
    return result


def _py_spy(server: int, seconds: float, output: Path) -> "subprocess.Popen[bytes]":
    return subprocess.Popen(
        [
            str(PY_SPY),
            "record",
            "--pid",
            str(server),
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--format",
            "raw",
            "--nonblocking",
            "--gil",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _summarize(name: str, collapsed: Path, top: int = 12) -> None:
    """The functions the samples were in (own time) and under (total), by share."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [_short(frame) for frame in stack.split(";") if frame]
        if not frames:
            continue
        weight = int(count)
        samples += weight
        own[frames[-1]] += weight
        for frame in set(frames):
            total[frame] += weight
    print(f"\n## {name}: {samples} samples\nown time:")
    for frame, weight in own.most_common(top):
        print(f"  {100 * weight / samples:5.1f}%  {frame}")
    print("total time (ours and the libraries' entry points):")
    for frame, weight in total.most_common(top * 4):
        if any(part in frame for part in ("app/", "sqlalchemy/", "pydantic", "fastapi/")):
            print(f"  {100 * weight / samples:5.1f}%  {frame}")


def _short(frame: str) -> str:
    """'function (path/to/site-packages/lib/module.py:12)' -> 'function (lib/module.py)'."""
    function, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/python3."):
        if marker in where:
            where = where.split(marker, 1)[1]
    if "/app/" in where:
        where = "app/" + where.split("/app/", 1)[1]
    return f"{function} ({where})"


def _median(runs: list[Result]) -> Result:
    return Result(
        statistics.median(run.requests_per_second for run in runs),
        statistics.median(run.p50 for run in runs),
        statistics.median(run.p99 for run in runs),
        sum(run.failures for run in runs),
    )


def _row(result: Result) -> str:
    return (
        f"{result.requests_per_second:,.0f} | {result.p50:,.0f} / {result.p99:,.0f} "
        f"| {result.failures}"
    )


def _slug(name: str) -> str:
    return "".join(char if char.isalnum() else "-" for char in name.split(",")[0]).strip("-")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--summarize":
        for path in sys.argv[2:]:
            _summarize(Path(path).stem, Path(path))
    else:
        main()
