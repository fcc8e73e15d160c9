"""The end-to-end figures on the local Dapr stack (`scripts/stack.sh`).

Everything goes through the app's REST API on the stack, as a user's client would: the app
reaches PostgreSQL only through its sidecar's `bindings.postgresql`, and events travel
through Kafka, the processors and the Dapr scheduler. The bench talks to the stack's database
directly for one thing only: bulk-seeding (and removing) the tasks the listings run over.
"""

import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench import machine
from bench.measure import Request, RequestOf, Timings, measure, percentile
from bench.scenarios import SCENARIOS, Scenario
from bench.workload import reference_now, seed_beside, unseed, user_id
from tests.support.accounts import ADMIN_USERNAME
from tests.support.stack import Stack, is_running, running_stack
from tests.support.tasks import create_task, poll

FLOOR = "health/live"
BINDING_FLOOR = "health/ready"

SUCCESSOR_POLL_SECONDS = 0.025
SUCCESSOR_TIMEOUT_SECONDS = 15.0
REMINDER_POLL_SECONDS = 0.05
REMINDER_OFFSET = "1 minute"
REMINDER_OFFSET_DELTA = timedelta(minutes=1)
REMINDER_WINDOW_SECONDS = (10.0, 40.0)  # the reminders fall due this far ahead, spread out
REMINDER_GRACE_SECONDS = 30.0  # how long after the last one is due the bench waits


@dataclass(frozen=True)
class Target:
    ms: float
    label: str


@dataclass
class Flow:
    """A latency of an event-driven flow, one sample per task."""

    name: str
    description: str
    asked: int  # samples attempted; those that never arrived are missing
    samples_ms: list[float]
    seed: Target  # judged on the slowest sample: the seed says "within"
    ours: Target  # judged on p95
    note: str = ""

    @property
    def missing(self) -> int:
        return self.asked - len(self.samples_ms)

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 95)

    @property
    def slowest(self) -> float:
        return max(self.samples_ms)

    def seed_met(self) -> bool:
        return not self.missing and bool(self.samples_ms) and self.slowest < self.seed.ms

    def ours_met(self) -> bool:
        return not self.missing and bool(self.samples_ms) and self.p95 < self.ours.ms


@dataclass
class ListingRun:
    size: int  # tasks seeded (the stack's own few tasks come on top)
    seed_seconds: float
    timings: dict[str, Timings]

    @property
    def title(self) -> str:
        return f"{self.size:,} tasks"

    @property
    def seed_target(self) -> Target | None:
        return LISTING_SEED if self.size <= 10_000 else None

    def missed(self) -> list[str]:
        out = []
        for name, timings in self.timings.items():
            if name in (FLOOR, BINDING_FLOOR):
                continue
            seed = self.seed_target
            if timings.p95 >= LISTING_OURS.ms or (seed is not None and timings.p95 >= seed.ms):
                out.append(name)
        return out


@dataclass
class StackResult:
    date: str
    machine: dict[str, str]
    flows: list[Flow]
    listings: list[ListingRun]
    rounds: int
    requests: int
    warmup: int
    total_seconds: float
    up_seconds: float | None  # None: the stack was already running
    existing_tasks: int  # tasks the stack's database held before seeding
    notes: list[str] = field(default_factory=list)

    def missed(self) -> list[str]:
        out = [
            f"{flow.name} ({which})"
            for flow in self.flows
            for which, met in (("seed", flow.seed_met()), ("ours", flow.ours_met()))
            if not met
        ]
        out += [f"listing, {run.title}: {name}" for run in self.listings for name in run.missed()]
        return out


SUCCESSOR_SEED = Target(5_000, "< 5 s")
SUCCESSOR_OURS = Target(1_000, "p95 < 1 s")
REMINDER_SEED = Target(10_000, "< 10 s")
REMINDER_OURS = Target(1_500, "p95 < 1.5 s")
LISTING_SEED = Target(200, "< 200 ms")
LISTING_OURS = Target(30, "p95 < 30 ms")


@dataclass(frozen=True)
class StackOptions:
    successors: int
    reminders: int
    sizes: tuple[int, ...]
    rounds: int
    requests: int
    warmup: int


def run(options: StackOptions, log: Callable[[str], None]) -> StackResult:
    """Bring the stack up (or use the running one), measure, and leave it as it was."""
    started = time.perf_counter()
    info = machine.describe()
    was_running = is_running()
    with tempfile.TemporaryDirectory(prefix="taskflow-bench-stack-") as scratch:
        log("stack: " + ("using the running stack" if was_running else "bringing the stack up"))
        with (
            running_stack(Path(scratch) / "stack.log") as stack,
            stack.client(timeout=30) as client,
        ):
            up_seconds = None if was_running else time.perf_counter() - started
            database_url = stack.database_url
            info["Dapr (daprd, scheduler)"] = _dapr_version(stack)
            info["Kafka"] = _kafka_version(stack)
            info["PostgreSQL"] = machine.postgres(database_url)
            info["Load average (1/5/15 min) at start"] = machine.load()
            if not poll(lambda: client.get("/health/ready").status_code == 200, bool, 120, 0.5):
                raise RuntimeError("the stack's app is not ready after 120 s")
            existing = _task_count(client)

            reminders = measure_reminders(client, options.reminders, log)
            flows = [measure_successors(client, options.successors, log), *reminders]
            listings = [
                measure_listing(client, database_url, size, options, log) for size in options.sizes
            ]
            info["Load average (1/5/15 min) at end"] = machine.load()
        if not was_running:
            log("stack: taken down again")
    return StackResult(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=info,
        flows=flows,
        listings=listings,
        rounds=options.rounds,
        requests=options.requests,
        warmup=options.warmup,
        total_seconds=time.perf_counter() - started,
        up_seconds=up_seconds,
        existing_tasks=existing,
    )


# --- Completion -> successor -----------------------------------------------------------


def measure_successors(client: httpx.Client, count: int, log: Callable[[str], None]) -> Flow:
    """Complete `count` daily tasks one at a time; for each, the time from the complete call
    returning to the successor showing in `GET /api/tasks?tags=<its own tag>`."""
    log(f"stack: completion -> successor, {count} tasks")
    batch = uuid.uuid4().hex[:8]
    due = (datetime.now(UTC) + timedelta(days=1)).replace(hour=9, minute=0, second=0)
    created: list[int] = []
    samples: list[float] = []
    try:
        for n in range(count):
            tag = f"bench-{batch}-{n}"
            task = create_task(
                client,
                title=f"Bench chore {n}",
                due_date=due.replace(microsecond=0).isoformat(),
                recurrence="daily",
                tags=[tag],
            )
            created.append(task["id"])
            _check(client.post(f"/api/tasks/{task['id']}/complete"))
            returned = time.perf_counter()
            successor = poll(
                partial(_successor, client, tag, task["id"]),
                lambda found: found is not None,
                SUCCESSOR_TIMEOUT_SECONDS,
                SUCCESSOR_POLL_SECONDS,
            )
            if successor is None:
                log(f"stack: no successor of task {task['id']} in {SUCCESSOR_TIMEOUT_SECONDS} s")
                continue
            samples.append((time.perf_counter() - returned) * 1000)
            created.append(successor["id"])
    finally:
        _delete_tasks(client, reversed(created))  # successors before their parents
    flow = Flow(
        name="completion → successor visible",
        description=(
            "`POST /api/tasks/{id}/complete` returned → the successor listed by "
            "`GET /api/tasks?tags=<the task's own tag>`"
        ),
        asked=count,
        samples_ms=samples,
        seed=SUCCESSOR_SEED,
        ours=SUCCESSOR_OURS,
    )
    _log_flow(flow, log)
    return flow


def _successor(client: httpx.Client, tag: str, parent_id: int) -> dict[str, Any] | None:
    response = _check(client.get("/api/tasks", params={"tags": tag, "limit": 10}))
    return next((t for t in response.json() if t["parent_task_id"] == parent_id), None)


# --- Reminders -------------------------------------------------------------------------


def measure_reminders(
    client: httpx.Client, count: int, log: Callable[[str], None]
) -> tuple[Flow, Flow]:
    """`count` tasks whose reminders fall due 10-40 s ahead, spread out; per reminder, how
    late it fired (`sent_at - scheduled_at`: `sent_at` is the moment the reminders processor
    fired it) and how late the API first listed it as sent."""
    first, last = REMINDER_WINDOW_SECONDS
    log(f"stack: reminders, {count} due {first:.0f}-{last:.0f} s ahead")
    start = datetime.now(UTC)
    tasks: list[int] = []
    try:
        for n in range(count):
            scheduled = start + timedelta(seconds=first + (last - first) * n / max(1, count - 1))
            task = create_task(
                client,
                title=f"Bench reminder {n}",
                due_date=(scheduled + REMINDER_OFFSET_DELTA).isoformat(),
                reminder_offset=REMINDER_OFFSET,
            )
            tasks.append(task["id"])
        if datetime.now(UTC) > start + timedelta(seconds=first):
            raise RuntimeError("creating the reminders' tasks took longer than the first's lead")
        ours = {r["id"]: r for r in _reminders(client, "pending") if r["task_id"] in tasks}
        if len(ours) != count:
            raise RuntimeError(f"{count} tasks created, {len(ours)} pending reminders found")
        seen = _watch_sent(client, set(ours), start + timedelta(seconds=last))
        fired: list[float] = []
        visible: list[float] = []
        late = 0
        for reminder_id, reminder in ours.items():
            if reminder_id not in seen:
                continue
            [current] = _reminders(client, task_id=reminder["task_id"])
            if current["status"] != "sent":  # gone from pending without being sent
                continue
            scheduled_at = datetime.fromisoformat(current["scheduled_at"])
            fired.append(_ms(datetime.fromisoformat(current["sent_at"]) - scheduled_at))
            visible.append(_ms(seen[reminder_id] - scheduled_at))
            late += bool(current["late"])
    finally:
        _delete_tasks(client, tasks)
    note = f"{late} marked late by the app (> 10 s)." if late else ""
    flows = (
        Flow(
            name="reminder fired, lateness",
            description="`sent_at` minus `scheduled_at` of `GET /api/reminders` once sent "
            "(`sent_at` is when the reminders processor handled the scheduler's call)",
            asked=count,
            samples_ms=fired,
            seed=REMINDER_SEED,
            ours=REMINDER_OURS,
            note=note,
        ),
        Flow(
            name="reminder shown as sent by the API",
            description="the first `GET /api/reminders?status=pending` poll without it "
            f"(every {REMINDER_POLL_SECONDS * 1000:.0f} ms), minus `scheduled_at`",
            asked=count,
            samples_ms=visible,
            seed=REMINDER_SEED,
            ours=REMINDER_OURS,
        ),
    )
    for flow in flows:
        _log_flow(flow, log)
    return flows


def _watch_sent(
    client: httpx.Client, reminder_ids: set[int], last_due: datetime
) -> dict[int, datetime]:
    """When each reminder first left the pending list (the app marked it sent)."""
    deadline = last_due + timedelta(seconds=REMINDER_GRACE_SECONDS)
    seen: dict[int, datetime] = {}
    while len(seen) < len(reminder_ids) and datetime.now(UTC) < deadline:
        pending = {r["id"] for r in _reminders(client, "pending")}
        now = datetime.now(UTC)
        for reminder_id in reminder_ids - pending - set(seen):
            seen[reminder_id] = now
        time.sleep(REMINDER_POLL_SECONDS)
    return seen


def _reminders(
    client: httpx.Client, status: str | None = None, task_id: int | None = None
) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"limit": 500}  # the largest page: more than a run creates
    if status is not None:
        params["status"] = status
    if task_id is not None:
        params["task_id"] = task_id
    found: list[dict[str, Any]] = _check(client.get("/api/reminders", params=params)).json()
    return found


# --- Listing through the binding -------------------------------------------------------


def measure_listing(
    client: httpx.Client,
    database_url: str,
    size: int,
    options: StackOptions,
    log: Callable[[str], None],
) -> ListingRun:
    """Seed `size` tasks beside the stack's own, run the embedded bench's scenarios through
    the stack's app, and remove the seeded tasks again."""
    now = reference_now()
    log(f"stack: listing at {size:,} tasks: seeding")
    # The test admin's, whose token the bench lists with (another user's would not show).
    ids, seconds = seed_beside(database_url, size, now, user_id(database_url, ADMIN_USERNAME))
    try:
        log(f"stack: listing at {size:,} tasks: seeded in {seconds:.1f} s; measuring")
        requests: dict[str, RequestOf] = {
            scenario.name: partial(_request, scenario, now) for scenario in SCENARIOS
        }
        requests[FLOOR] = partial(_plain_get, "/health/live")
        requests[BINDING_FLOOR] = partial(_plain_get, "/health/ready")
        timings = measure(
            client,
            requests,
            rounds=options.rounds,
            requests=options.requests,
            warmup=options.warmup,
        )
    finally:
        unseed(database_url, ids)
        log(f"stack: listing at {size:,} tasks: seeded tasks removed")
    listing = ListingRun(size, seconds, timings)
    for name, one in timings.items():
        log(f"  {name:<14} median {one.median:7.1f} ms  p95 {one.p95:7.1f} ms")
    return listing


def _request(scenario: Scenario, now: datetime, serial: int) -> Request:
    return scenario.ask(serial, now).request()


def _plain_get(path: str, _: int) -> Request:
    return "GET", path, {}


# --- Helpers ---------------------------------------------------------------------------


def _delete_tasks(client: httpx.Client, ids: Any) -> None:
    for task_id in ids:
        response = client.delete(f"/api/tasks/{task_id}")
        if response.status_code not in (204, 404):
            _check(response, 204)


def _check(response: httpx.Response, expected: int = 200) -> httpx.Response:
    if response.status_code != expected:
        request = response.request
        raise RuntimeError(
            f"{request.method} {request.url}: {response.status_code} {response.text[:500]}"
        )
    return response


def _task_count(client: httpx.Client) -> int:
    response = _check(client.get("/api/tasks", params={"limit": 1}))
    return int(response.headers["x-total-count"])


def _ms(delta: timedelta) -> float:
    return delta.total_seconds() * 1000


def _dapr_version(stack: Stack) -> str:
    response = httpx.get(
        f"{stack.sidecar('taskflow')}/v1.0/metadata",
        headers=stack.dapr_headers("taskflow"),
        timeout=10,
    )
    return str(response.json().get("runtimeVersion", "unknown")) if response.is_success else "?"


def _kafka_version(stack: Stack) -> str:
    """The version the broker logged when it last started."""
    version = "unknown"
    try:
        with stack.log("kafka").open(errors="replace") as lines:
            for line in lines:
                if "Kafka version: " in line:
                    version = line.split("Kafka version: ", 1)[1].split()[0]
    except OSError:
        pass
    return version


def _log_flow(flow: Flow, log: Callable[[str], None]) -> None:
    if not flow.samples_ms:
        log(f"  {flow.name}: no samples ({flow.missing} missing)")
        return
    log(
        f"  {flow.name}: median {flow.median:.0f} ms  p95 {flow.p95:.0f} ms  "
        f"max {flow.slowest:.0f} ms  ({len(flow.samples_ms)} of {flow.asked})"
    )
