"""Load with Locust: reads at 50 connections with no think time (what wrk measured in issue 12),
and 1,000 simulated people with think time (list, search, create, complete), against a running
server; the server's CPU and memory meanwhile.

Locust runs in a process of its own (bench/swarm.py); this module plans its runs, reads back
every request it timed and sums them up.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass

import httpx
import psutil

from bench.measure import percentile
from bench.processes import Usage, Watch
from bench.sessions import SessionsResult
from tests.support.accounts import make_token

READ_ENDPOINTS = ("page", "filter", "search", "by id", "health")
READ_DESCRIPTIONS = {
    "page": "`GET /api/tasks?sort_by=due_date&limit=50`: a page of 50 by due date",
    "filter": "`GET /api/tasks?status=pending&priority=high`",
    "search": "`GET /api/tasks?q=<one word>` (a word of the seeding vocabulary, varied)",
    "by id": "`GET /api/tasks/{id}` (a random id of the 10,000)",
    "health": "`GET /health/live`: no database, the framework floor",
}
MIX = (("list", 40), ("search", 30), ("create", 15), ("complete", 15))
TOTAL = "all"
SWARM_GRACE_SECONDS = 120.0
SETTLED_MS = 500.0
SETTLED_TIMES = 3
SETTLE_SECONDS = 180.0


@dataclass(frozen=True)
class Plan:
    """One Locust run (bench/swarm.py reads it as JSON)."""

    hosts: list[str]
    kind: str  # "read": one endpoint, no think time; "mix": people with think time
    users: int
    spawn_rate: float
    warmup_seconds: float  # after the last user started, before the window
    seconds: float  # the measured window
    think_seconds: float
    tokens: list[str]
    task_ids: int  # ids 1..task_ids exist (for "by id")
    endpoint: str = ""


@dataclass(frozen=True)
class Summary:
    """The requests of one name in one run's measured window: all of them count in
    `requests` and `per_second`, the successful ones' times in the percentiles."""

    name: str
    requests: int
    errors: int
    seconds: float
    p50: float
    p95: float
    p99: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @classmethod
    def of(cls, name: str, times_ms: Sequence[float], errors: int, seconds: float) -> "Summary":
        if not times_ms:
            return cls(name, errors, errors, seconds, 0.0, 0.0, 0.0)
        return cls(
            name,
            len(times_ms) + errors,
            errors,
            seconds,
            percentile(times_ms, 50),
            percentile(times_ms, 95),
            percentile(times_ms, 99),
        )


@dataclass(frozen=True)
class Combined:
    """Several runs of one name: the median of each figure over the runs, errors summed."""

    name: str
    runs: tuple[Summary, ...]

    @property
    def requests(self) -> int:
        return sum(run.requests for run in self.runs)

    @property
    def errors(self) -> int:
        return sum(run.errors for run in self.runs)

    @property
    def per_second(self) -> float:
        return statistics.median(run.per_second for run in self.runs)

    @property
    def timed(self) -> tuple[Summary, ...]:
        """The runs with a successful request: only they have times."""
        return tuple(run for run in self.runs if run.requests > run.errors)

    @property
    def p50(self) -> float | None:
        return _median_of(run.p50 for run in self.timed)

    @property
    def p95(self) -> float | None:
        return _median_of(run.p95 for run in self.timed)

    @property
    def p99(self) -> float | None:
        return _median_of(run.p99 for run in self.timed)

    @property
    def worst_p95(self) -> float | None:
        return max((run.p95 for run in self.timed), default=None)


def _median_of(values: Iterable[float]) -> float | None:
    found = list(values)
    return statistics.median(found) if found else None


@dataclass(frozen=True)
class Swarm:
    """What one Locust run measured."""

    summaries: dict[str, Summary]  # per request name, and TOTAL
    errors: dict[str, int]  # error text -> how many
    usage: dict[str, Usage]  # per process group watched (the load generator included)


def summarize(samples: Sequence[tuple[str, float, str | None]], seconds: float) -> Swarm:
    """Per name and overall: the successful requests' times; failures count as errors."""
    names = sorted({name for name, _, _ in samples})
    summaries: dict[str, Summary] = {}
    for name in [*names, TOTAL]:
        ours = [s for s in samples if name in (TOTAL, s[0])]
        times = [ms for _, ms, error in ours if error is None]
        summaries[name] = Summary.of(name, times, len(ours) - len(times), seconds)
    errors: dict[str, int] = {}
    for _, _, error in samples:
        if error is not None:
            errors[error] = errors.get(error, 0) + 1
    return Swarm(summaries, errors, {})


def parse_swarm_output(lines: Sequence[str]) -> tuple[list[tuple[str, float, str | None]], float]:
    """bench/swarm.py's output: the samples and the measured window's length."""
    samples: list[tuple[str, float, str | None]] = []
    window = 0.0
    for line in lines:
        if not line.strip():
            continue
        item = json.loads(line)
        if isinstance(item, dict):
            window = float(item["window"])
        else:
            samples.append((str(item[0]), float(item[1]), item[2]))
    return samples, window


def swarm(plan: Plan, servers: dict[str, int], log: Callable[[str], None]) -> Swarm:
    """Run bench/swarm.py with `plan`, watching the process groups `servers` (name -> the pid
    at the root of its process tree) and the load generator itself."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.swarm"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    with Watch({**servers, LOAD_GENERATOR: process.pid}) as watch:
        timeout = plan.users / plan.spawn_rate + plan.warmup_seconds + plan.seconds
        out, err = process.communicate(json.dumps(asdict(plan)), timeout + SWARM_GRACE_SECONDS)
    if process.returncode != 0:
        raise RuntimeError(f"bench.swarm failed ({process.returncode}):\n{err[-3000:]}")
    samples, window = parse_swarm_output(out.splitlines())
    result = summarize(samples, window)
    total = result.summaries[TOTAL]
    log(
        f"  {plan.kind} {plan.endpoint or ''} {plan.users} users: {total.per_second:.0f} req/s "
        f"p50 {total.p50:.0f} p95 {total.p95:.0f} p99 {total.p99:.0f} ms, {total.errors} errors"
    )
    return Swarm(result.summaries, result.errors, watch.usage())


LOAD_GENERATOR = "load generator (Locust)"


def tokens(client: httpx.Client, count: int) -> list[str]:
    """`count` API tokens of the user `client` is signed in as (one per simulated device)."""
    return [make_token(client, name=f"load {n}") for n in range(count)]


def server_root(port: int) -> int:
    """The pid at the root of the server listening on `port`: the leader of its process group
    (`make run` runs in a group of its own)."""
    for connection in psutil.net_connections(kind="tcp"):
        if (
            connection.status == psutil.CONN_LISTEN
            and connection.laddr
            and connection.laddr.port == port
            and connection.pid is not None
        ):
            return os.getpgid(connection.pid)
    raise RuntimeError(f"nothing listens on port {port}")


@dataclass(frozen=True)
class LoadOptions:
    runs: int
    read_connections: int
    read_seconds: float
    read_warmup: float
    people: int
    spawn_rate: float
    people_seconds: float
    people_warmup: float
    think_seconds: float
    # The worker processes of `make run` (its WORKERS).
    workers: int = 1
    # The stack's app replicas (its REPLICAS).
    replicas: int = 1


def reads(
    host: str,
    token_list: list[str],
    task_ids: int,
    servers: dict[str, int],
    options: LoadOptions,
    log: Callable[[str], None],
) -> dict[str, list[Swarm]]:
    """Each endpoint at `read_connections` connections, no think time, `runs` times; a run
    goes through every endpoint in turn, so a noisy moment spreads over all of them."""
    result: dict[str, list[Swarm]] = {endpoint: [] for endpoint in READ_ENDPOINTS}
    for run in range(options.runs):
        log(f"reads, run {run + 1} of {options.runs}")
        for endpoint in READ_ENDPOINTS:
            plan = Plan(
                hosts=[host],
                kind="read",
                endpoint=endpoint,
                users=options.read_connections,
                spawn_rate=options.read_connections,
                warmup_seconds=options.read_warmup,
                seconds=options.read_seconds,
                think_seconds=0,
                tokens=token_list,
                task_ids=task_ids,
            )
            result[endpoint].append(swarm(plan, servers, log))
    return result


def people(
    hosts: list[str],
    token_list: list[str],
    task_ids: int,
    servers: dict[str, int],
    options: LoadOptions,
    log: Callable[[str], None],
) -> list[Swarm]:
    """`people` simulated users with think time, `runs` times, spread evenly over `hosts`."""
    runs = []
    for run in range(options.runs):
        for host in hosts:
            settle(host, token_list[0], log)
        log(f"{options.people} people, run {run + 1} of {options.runs}")
        plan = Plan(
            hosts=hosts,
            kind="mix",
            users=options.people,
            spawn_rate=options.spawn_rate,
            warmup_seconds=options.people_warmup,
            seconds=options.people_seconds,
            think_seconds=options.think_seconds,
            tokens=token_list,
            task_ids=task_ids,
        )
        runs.append(swarm(plan, servers, log))
    return runs


def settle(host: str, token: str, log: Callable[[str], None]) -> None:
    """Wait until the server answers a one-task listing within SETTLED_MS SETTLED_TIMES in a
    row (at most SETTLE_SECONDS), so that a run does not start with the last one's backlog."""
    deadline = time.monotonic() + SETTLE_SECONDS
    quick = 0
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=host, headers=headers, timeout=SETTLE_SECONDS) as client:
        while quick < SETTLED_TIMES and time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                answered = client.get("/api/tasks", params={"limit": 1}).is_success
            except httpx.HTTPError:
                answered = False
            fast = answered and (time.perf_counter() - started) * 1000 < SETTLED_MS
            quick = quick + 1 if fast else 0
            time.sleep(1)
    if quick < SETTLED_TIMES:
        log(f"  the server was still slow after {SETTLE_SECONDS:.0f} s; starting anyway")


def combine(runs: Sequence[Swarm], name: str) -> Combined:
    return Combined(name, tuple(run.summaries[name] for run in runs if name in run.summaries))


@dataclass(frozen=True)
class LoadResult:
    """What one server (embedded or the stack) measured; a part not run is None."""

    mode: str  # "embedded" or "dapr"
    date: str
    machine: dict[str, str]
    tokens: int  # API tokens the simulated users sign with (all of the test admin)
    reads: dict[str, list[Swarm]] | None
    people: list[Swarm] | None
    sessions: SessionsResult | None
    idle: dict[str, Usage]  # the watched processes' memory before the load
    total_seconds: float
