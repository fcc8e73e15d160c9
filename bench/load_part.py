"""The load part of `make bench`: the servers it loads and what it measures on each.

Embedded: `make run` (tests.e2e.conftest.Product: scripts/run.sh on a port of its own) over a
fresh SQLite file seeded with 10,000 tasks of the test admin. Dapr: the local stack
(tests.support.stack.running_stack), with the same 10,000 tasks seeded beside its own for the
test admin and removed again afterwards, with the tasks the load created.
"""

import asyncio
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

from app.adapters.local.sql import create_engine
from app.repositories.tables import TASK
from bench import load, machine
from bench.load import LoadOptions, LoadResult
from bench.processes import Usage, Watch
from bench.sessions import measure_sessions
from bench.workload import reference_now, seed, seed_beside, unseed, user_id
from tests.e2e.conftest import Product
from tests.support.accounts import ADMIN_USERNAME, admin_token, log_in
from tests.support.servers import migrate
from tests.support.stack import is_running, running_stack, scaled

TASKS = 10_000
EMBEDDED_SERVER = "server (`make run`)"
PROCESSORS = ("recurrence", "reminders", "audit", "notifier")
SHARED_STACK_PARTS = (
    "postgres",
    "kafka",
    "scheduler",
    *(part for processor in PROCESSORS for part in (processor, f"{processor}-dapr")),
)


@dataclass(frozen=True)
class SessionOptions:
    count: int
    tabs_per_sign_in: int
    changes: int


def _info() -> dict[str, str]:
    return {
        **machine.describe(),
        "SQLite": machine.sqlite(),
        "Load average (1/5/15 min) at start": machine.load(),
    }


def _idle(groups: dict[str, int]) -> dict[str, Usage]:
    with Watch(groups) as watch:
        time.sleep(2)
    return watch.usage()


def embedded(
    parts: set[str],
    options: LoadOptions,
    sessions: SessionOptions,
    log: Callable[[str], None],
) -> LoadResult:
    """Reads, people and sessions (those in `parts`) against `make run`."""
    started = time.perf_counter()
    info = _info()
    with tempfile.TemporaryDirectory(prefix="taskflow-bench-load-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'taskflow.db'}"
        migrate(url)
        seconds = seed(url, TASKS, reference_now())
        log(
            f"load: {TASKS:,} tasks seeded in {seconds:.1f} s; "
            f"starting make run with {options.workers} worker(s)"
        )
        product = Product(url, Path(scratch) / "run.log", WORKERS=str(options.workers))
        product.start()
        try:
            groups = {EMBEDDED_SERVER: load.server_root(product.port)}
            idle = _idle(groups)
            token = admin_token(product.base_url)
            with httpx.Client(base_url=product.base_url, timeout=60) as client:
                log_in(client).raise_for_status()
                token_list = load.tokens(client, max(options.people, options.read_connections))
            reads = people = found = None
            if "reads" in parts:
                reads = load.reads(product.base_url, token_list, TASKS, groups, options, log)
            if "people" in parts:
                people = load.people([product.base_url], token_list, TASKS, groups, options, log)
            if "sessions" in parts:
                found = asyncio.run(
                    measure_sessions(
                        product.base_url,
                        token,
                        list(groups.values()),
                        sessions.count,
                        sessions.tabs_per_sign_in,
                        sessions.changes,
                        log,
                    )
                )
            info["Load average (1/5/15 min) at end"] = machine.load()
        finally:
            product.stop()
    return LoadResult(
        mode="embedded",
        date=_now(),
        machine=info,
        tokens=len(token_list),
        reads=reads,
        people=people,
        sessions=found,
        idle=idle,
        total_seconds=time.perf_counter() - started,
    )


def stack(options: LoadOptions, log: Callable[[str], None]) -> LoadResult:
    """The people against the stack's app (the stack brought up unless it runs, and left as
    it was found)."""
    started = time.perf_counter()
    info = _info()
    was_running = is_running()
    with tempfile.TemporaryDirectory(prefix="taskflow-bench-load-stack-") as scratch:
        log("load: " + ("using the running stack" if was_running else "bringing the stack up"))
        log_path = Path(scratch) / "stack.log"
        with (
            running_stack(log_path) as found,
            scaled(found, options.replicas, log_path) as running,
        ):
            owner = user_id(running.database_url, ADMIN_USERNAME)
            first_new = _next_task_id(running.database_url)
            ids, seconds = seed_beside(running.database_url, TASKS, reference_now(), owner)
            log(f"load: {TASKS:,} tasks seeded beside the stack's in {seconds:.1f} s")
            try:
                groups = {name: running.pid_of(name) for name in _stack_parts(options.replicas)}
                idle = _idle(groups)
                with httpx.Client(base_url=running.app_url, timeout=60) as client:
                    log_in(client).raise_for_status()
                    token_list = load.tokens(client, options.people)
                people = load.people(
                    list(running.app_urls), token_list, ids[-1], groups, options, log
                )
                info["Load average (1/5/15 min) at end"] = machine.load()
            finally:
                unseed(running.database_url, ids)
                _remove_created(running.database_url, first_new, owner)
                log("load: seeded and created tasks removed")
    return LoadResult(
        mode="dapr",
        date=_now(),
        machine=info,
        tokens=len(token_list),
        reads=None,
        people=people,
        sessions=None,
        idle=idle,
        total_seconds=time.perf_counter() - started,
    )


def _stack_parts(replicas: int) -> list[str]:
    """The stack's processes the people keep busy: each app replica and its sidecar, and
    what they share (the processors handle the events of the people's writes)."""
    apps = ["taskflow", *(f"taskflow-{n}" for n in range(1, replicas))]
    return [*(part for app in apps for part in (app, f"{app}-dapr")), *SHARED_STACK_PARTS]


def _next_task_id(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            last = connection.execute(sa.select(sa.func.max(TASK.c.id))).scalar()
    finally:
        engine.dispose()
    return int(last or 0) + 1


def _remove_created(database_url: str, first: int, owner: int) -> None:
    """Delete the tasks the simulated people created on the stack (titles "Load test ...")."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.delete(TASK).where(
                    TASK.c.id >= first,
                    TASK.c.owner_id == owner,
                    TASK.c.title.like("Load test %"),
                )
            )
    finally:
        engine.dispose()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
