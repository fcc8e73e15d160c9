"""python -m bench [--sizes 10000,100000] [--backends sqlite,postgresql] [--no-stack] ...

Three parts: listing latency in the embedded runtime (SQLite and PostgreSQL), the
end-to-end figures on the local Dapr stack (bench/stack.py), then load with Locust and open
board tabs against `make run` and the stack (bench/load_part.py), and fired reminders sent to
real mail, webhook and ntfy servers (bench/notify.py). Each part rewrites its own sections of
docs/benchmarks.md and keeps the others'.
"""

import argparse
import contextlib
import dataclasses
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import httpx

from bench import load_part, machine, notify, stack
from bench.explain import explain
from bench.load import LoadOptions, LoadResult
from bench.measure import Request, RequestOf, measure
from bench.report import (
    LOAD_PARTS,
    Parts,
    Run,
    Setup,
    assemble,
    existing_parts,
    render,
    render_load,
    render_notify,
    render_stack,
)
from bench.scenarios import SCENARIOS, Scenario
from bench.workload import reference_now, seed, seeded_owner, settle
from tests.support.accounts import admin_token, bearer
from tests.support.servers import (
    ROOT,
    fresh_postgres_database,
    migrate,
    postgres_server_url,
    serve_api,
)

BACKENDS = ("sqlite", "postgresql")
EXPLAINED_ASKS = 5


def main() -> None:
    options = _options()
    output = None if options.output == "-" else Path(options.output)
    parts = existing_parts(output) if output else Parts(None, None, "")
    missed: list[str] = []
    if not (options.stack_only or options.load_only):
        embedded, missed_embedded = _embedded(options)
        missed += missed_embedded
        parts = dataclasses.replace(parts, embedded=embedded)
        _write(output, parts)
    if options.stack and not options.load_only:
        try:
            result = stack.run(
                stack.StackOptions(
                    successors=options.stack_successors,
                    reminders=options.stack_reminders,
                    sizes=_sizes(options.stack_sizes),
                    rounds=options.rounds,
                    requests=options.requests,
                    warmup=options.warmup,
                ),
                _log,
            )
        except Exception:
            _log("the stack part failed (python -m bench --no-stack skips it)")
            raise
        _log(f"stack part run time {result.total_seconds / 60:.1f} min")
        missed += [f"stack: {name}" for name in result.missed()]
        parts = dataclasses.replace(parts, stack=render_stack(result))
        _write(output, parts)
    if options.load and not options.stack_only:
        parts = _load(options, parts, output)
    for line in missed:
        _log(f"missed target: {line}")


def _load(options: argparse.Namespace, parts: Parts, output: Path | None) -> Parts:
    """The load part's sections that `--load-parts` names, each written as soon as run."""
    chosen = {name for name in options.load_parts.split(",") if name}
    load = LoadOptions(
        runs=options.load_runs,
        read_connections=options.read_connections,
        read_seconds=options.read_seconds,
        read_warmup=options.read_warmup,
        people=options.people,
        spawn_rate=options.spawn_rate,
        people_seconds=options.people_seconds,
        people_warmup=options.people_warmup,
        think_seconds=options.think_seconds,
        workers=options.workers,
        replicas=options.replicas,
    )
    sessions = load_part.SessionOptions(
        options.sessions, options.tabs_per_sign_in, options.session_changes
    )
    runs: list[Callable[[], LoadResult]] = []
    if chosen & {"reads", "people", "sessions"}:
        runs.append(partial(load_part.embedded, chosen, load, sessions, _log))
    if "people-dapr" in chosen:
        runs.append(partial(load_part.stack, load, _log))
    for run in runs:
        result = run()
        parts = dataclasses.replace(parts, load={**parts.load, **render_load(result, load)})
        _write(output, parts)
    asked = notify.NotifyOptions(options.notify_reminders, options.notify_burst)
    for name, notify_run in (("notify", notify.embedded), ("notify-dapr", notify.dapr)):
        if name not in chosen:
            continue
        found = notify_run(asked, _log)
        for line in found.missed():
            _log(f"missed target: {line}")
        parts = dataclasses.replace(parts, load={**parts.load, name: render_notify(found)})
        _write(output, parts)
    return parts


def _write(output: Path | None, parts: Parts) -> None:
    if output is not None:
        output.write_text(assemble(parts))
        _log(f"wrote {output}")


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(size) for size in text.split(",") if size)


def _embedded(options: argparse.Namespace) -> tuple[str, list[str]]:
    """Run the embedded part; its section of the report and the targets it missed."""
    started = time.perf_counter()
    now = reference_now()
    backends = [name for name in options.backends.split(",") if name]
    sizes = _sizes(options.sizes)
    info = {
        **machine.describe(),
        "SQLite": machine.sqlite(),
    }
    if "postgresql" in backends:
        info["PostgreSQL"] = machine.postgres(postgres_server_url())
    info["Load average (1/5/15 min) at start"] = machine.load()
    runs: list[Run] = []
    for backend in backends:
        for size in sizes:
            runs.append(_run(backend, size, now, options))
            _print_run(runs[-1])
    info["Load average (1/5/15 min) at end"] = machine.load()
    total = time.perf_counter() - started
    setup = Setup(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=info,
        rounds=options.rounds,
        requests=options.requests,
        warmup=options.warmup,
        total_seconds=total,
        extra_sql=tuple(options.pg_sql),
    )
    _log(f"embedded part run time {total / 60:.1f} min")
    missed = [f"{run.title}: {name}" for run in runs for name in run.missed()]
    return render(setup, runs), missed


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=70, help="per scenario and round")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--pg-sql",
        action="append",
        default=[],
        metavar="STATEMENT",
        help="run on PostgreSQL after seeding (e.g. a CREATE INDEX to try); repeatable",
    )
    parser.add_argument(
        "--output",
        help="the report; '-' for none (default: docs/benchmarks.md, none with --pg-sql)",
    )
    stack_part = parser.add_argument_group("the stack part (the local Dapr stack)")
    stack_part.add_argument(
        "--stack",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run the stack part (default: yes, unless --pg-sql)",
    )
    stack_part.add_argument(
        "--stack-only",
        action="store_true",
        help="run only the stack part; the report keeps the embedded part as it was",
    )
    stack_part.add_argument("--stack-successors", type=int, default=120, metavar="N")
    stack_part.add_argument("--stack-reminders", type=int, default=60, metavar="N")
    stack_part.add_argument("--stack-sizes", default="10000,100000")
    load_part_group = parser.add_argument_group(
        "the load part (Locust and open board tabs against make run and the stack)"
    )
    load_part_group.add_argument(
        "--load",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run the load part (default: yes, unless --pg-sql)",
    )
    load_part_group.add_argument(
        "--load-only",
        action="store_true",
        help="run only the load part; the report keeps the other parts as they were",
    )
    load_part_group.add_argument(
        "--load-parts",
        default=",".join(LOAD_PARTS),
        help="which sections: reads (50 connections), people (1,000 simulated users on "
        "make run), people-dapr (the same on the stack), sessions (open board tabs), notify "
        "(fired reminders to email, webhook and ntfy servers on loopback, embedded), "
        "notify-dapr (the same on the stack)",
    )
    load_part_group.add_argument("--load-runs", type=int, default=3, metavar="N")
    load_part_group.add_argument("--read-connections", type=int, default=50, metavar="N")
    load_part_group.add_argument("--read-seconds", type=float, default=15, metavar="S")
    load_part_group.add_argument("--read-warmup", type=float, default=3, metavar="S")
    load_part_group.add_argument("--people", type=int, default=1000, metavar="N")
    load_part_group.add_argument("--spawn-rate", type=float, default=50, metavar="N")
    load_part_group.add_argument("--people-seconds", type=float, default=60, metavar="S")
    load_part_group.add_argument("--people-warmup", type=float, default=10, metavar="S")
    load_part_group.add_argument("--think-seconds", type=float, default=5, metavar="S")
    load_part_group.add_argument(
        "--workers", type=int, default=1, metavar="N", help="make run's WORKERS (default: 1)"
    )
    load_part_group.add_argument(
        "--replicas",
        type=int,
        default=1,
        metavar="N",
        help="people-dapr: the stack's app replicas (its REPLICAS), the people spread over them",
    )
    load_part_group.add_argument("--sessions", type=int, default=1000, metavar="N")
    load_part_group.add_argument("--tabs-per-sign-in", type=int, default=10, metavar="N")
    load_part_group.add_argument("--session-changes", type=int, default=3, metavar="N")
    load_part_group.add_argument(
        "--notify-reminders", type=int, default=60, metavar="N", help="notify: mailed one by one"
    )
    load_part_group.add_argument(
        "--notify-burst", type=int, default=1000, metavar="N", help="notify: due in one minute"
    )
    options = parser.parse_args()
    if options.output is None:
        options.output = "-" if options.pg_sql else str(ROOT / "docs" / "benchmarks.md")
    if options.stack is None:
        options.stack = options.stack_only or not options.pg_sql
    if options.load is None:
        options.load = options.load_only or not options.pg_sql
    if options.stack_only and not options.stack:
        parser.error("--stack-only and --no-stack leave nothing to run")
    if options.load_only and not options.load:
        parser.error("--load-only and --no-load leave nothing to run")
    if options.load_only and options.stack_only:
        parser.error("--load-only and --stack-only: choose one")
    unknown_parts = set(options.load_parts.split(",")) - set(LOAD_PARTS) - {""}
    if unknown_parts:
        parser.error(f"unknown load part(s): {', '.join(sorted(unknown_parts))}")
    unknown = set(options.backends.split(",")) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    return options


def _run(backend: str, size: int, now: datetime, options: argparse.Namespace) -> Run:
    with (
        tempfile.TemporaryDirectory(prefix="taskflow-bench-") as scratch,
        _database(backend, Path(scratch)) as url,
    ):
        _log(f"{backend} {size:,}: migrating and seeding")
        migrate(url)
        extra = options.pg_sql if backend == "postgresql" else []
        seconds = seed(url, size, now, extra)
        _log(f"{backend} {size:,}: seeded in {seconds:.1f} s; measuring")
        requests: dict[str, RequestOf] = {
            scenario.name: partial(_request, scenario, now) for scenario in SCENARIOS
        }
        requests[stack.FLOOR] = _floor
        log = Path(scratch) / "uvicorn.log"
        with (
            serve_api(url, log) as base_url,
            httpx.Client(base_url=base_url, headers=bearer(admin_token(base_url))) as client,
        ):
            settle(url)
            timings = measure(
                client,
                requests,
                rounds=options.rounds,
                requests=options.requests,
                warmup=options.warmup,
            )
        run = Run(backend, size, seconds, timings)
        if backend == "postgresql":
            owner = seeded_owner(url)
            for scenario in SCENARIOS:
                asks = [scenario.ask(i, now) for i in range(EXPLAINED_ASKS)]
                run.plans[scenario.name] = explain(url, asks, owner)
        return run


@contextlib.contextmanager
def _database(backend: str, scratch: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{scratch / 'bench.db'}"
    else:
        with fresh_postgres_database("bench") as url:
            yield url


def _request(scenario: Scenario, now: datetime, serial: int) -> Request:
    return scenario.ask(serial, now).request()


def _floor(_: int) -> Request:
    return "GET", "/health/live", {}


def _print_run(run: Run) -> None:
    _log(run.title)
    for name, timings in run.timings.items():
        db = run.db_ms(name)
        _log(
            f"  {name:<14} median {timings.median:7.1f} ms  p95 {timings.p95:7.1f} ms"
            f"  matches {timings.typical_matches}" + ("" if db is None else f"  db {db:.1f} ms")
        )


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
