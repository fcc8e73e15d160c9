"""The stack part of docs/benchmarks.md: machine, method, the event flows, listings."""

from bench.report import STACK_MARKER
from bench.scenarios import SCENARIOS
from bench.stack import (
    BINDING_FLOOR,
    FLOOR,
    LISTING_OURS,
    LISTING_SEED,
    REMINDER_OFFSET,
    REMINDER_POLL_SECONDS,
    REMINDER_WINDOW_SECONDS,
    SUCCESSOR_POLL_SECONDS,
    ListingRun,
    StackResult,
    Target,
)


def render_stack(result: StackResult) -> str:
    first, last = REMINDER_WINDOW_SECONDS
    successors = result.flows[0].asked if result.flows else 0
    reminders = result.flows[1].asked if len(result.flows) > 1 else 0
    up = (
        "the stack was already running"
        if result.up_seconds is None
        else f"of which {result.up_seconds:.0f} s bringing the stack up"
    )
    out = [
        STACK_MARKER,
        "## End to end on the Dapr stack",
        "",
        "Measured by the same `make bench` on the local Dapr stack (`scripts/stack.sh`: "
        "the app and the recurrence, reminders and audit processors, each beside its own "
        "daprd; the Dapr scheduler; a single-node Kafka; PostgreSQL), brought up through "
        "`tests.support.stack.running_stack`: a running stack is used as it is, one the bench "
        "started is stopped again. `--no-stack` skips this part; `--stack-only` runs only "
        "this part and keeps the rest of this file as it was.",
        "",
        "### Machine and stack",
        "",
        "| | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in result.machine.items()),
        f"| Date | {result.date} |",
        f"| Stack part run time | {result.total_seconds / 60:.1f} min ({up}) |",
        "",
        "### Method",
        "",
        f"- **Completion → successor.** {successors} daily tasks, each with a tag of its own, "
        "are created through `POST /api/tasks` and completed one at a time. The clock starts "
        "when `POST /api/tasks/{id}/complete` returns (the completion and its "
        "`task.completed` outbox row are committed) and stops when a "
        "`GET /api/tasks?tags=<its tag>` response lists the successor; the bench polls "
        f"every {SUCCESSOR_POLL_SECONDS * 1000:.0f} ms, so a figure is late by up to that "
        "plus one poll. The path: the app's outbox relay → `task-events` on Kafka → the "
        "recurrence processor → service invocation → the app, which inserts the successor "
        "through `bindings.postgresql`.",
        f"- **Reminder lateness.** {reminders} tasks are created with `reminder_offset` "
        f"{REMINDER_OFFSET} and due dates that make their reminders fall due {first:.0f} to "
        f"{last:.0f} s later, evenly spread (so they fall at every phase of a second). The "
        "path: outbox → `reminders` → the reminders processor → the Jobs API; when the job "
        "is due the scheduler calls the processor, which publishes `reminder.triggered` "
        "with the moment it fired; the app marks the reminder sent with that moment as "
        "`sent_at`. *Fired* is `sent_at` minus `scheduled_at` from `GET /api/reminders`; *shown "
        "as sent* is the first poll of `GET /api/reminders?status=pending` (every "
        f"{REMINDER_POLL_SECONDS * 1000:.0f} ms) that no longer lists it, minus "
        "`scheduled_at`: what a client of the API sees, the nearest figure to the toast.",
        "- **Listing through the binding.** The embedded part's tasks (the same generator "
        "and sizes) are bulk-inserted straight into the stack's database `taskflow_stack`, "
        f"beside the {result.existing_tasks:,} tasks it held, under ids reserved from its id "
        "sequence, then `VACUUM (ANALYZE) task`; this is the bench's only direct use of the "
        "database, and the seeded tasks are deleted again afterwards. The embedded part's "
        "scenarios ("
        + ", ".join(f"**{scenario.name}**" for scenario in SCENARIOS)
        + ") then run against the stack's app over HTTP, where each statement goes "
        "app → daprd (gRPC) → `bindings.postgresql` → PostgreSQL, the page and the count "
        f"side by side. Warm-up {result.warmup} requests per scenario, {result.rounds} "
        f"rounds of {result.requests}; median of the round medians, p95 over all requests.",
        f"- **{FLOOR}** (no database) and **{BINDING_FLOOR}** (two statements through the "
        "binding one after the other: `SELECT 1` and the outbox backlog count) are "
        "references for the HTTP floor and the binding's round trip, held to no target.",
        "- Targets: the seed asks for successors within 5 s of completion, reminders within "
        "10 s of their time and search under 200 ms at 10,000 tasks; we aim for p95 under "
        "1 s, under 1.5 s and under 30 ms (at both sizes). A seed target of a flow is judged "
        "on its slowest sample (the seed says *within*), ours on p95; the listings are "
        "judged on p95 as in the embedded part. A sample that never arrived misses both.",
        "",
        "### Results",
        "",
        "#### Recurrence and reminders",
        "",
        "| Flow | Samples | Median ms | p95 ms | Slowest ms | Seed | | Ours | |",
        "|---|--:|--:|--:|--:|---|---|---|---|",
    ]
    notes = []
    for flow in result.flows:
        if flow.samples_ms:
            figures = f"{flow.median:,.0f} | {flow.p95:,.0f} | {flow.slowest:,.0f}"
        else:
            figures = "— | — | —"
        samples = f"{len(flow.samples_ms)}" + (f" ({flow.missing} missing)" if flow.missing else "")
        out.append(
            f"| {flow.name} | {samples} | {figures} "
            f"| {flow.seed.label} | {_mark(flow.seed_met())} "
            f"| {flow.ours.label} | {_mark(flow.ours_met())} |"
        )
        notes.append(
            f"- *{flow.name}*: {flow.description}." + (f" {flow.note}" if flow.note else "")
        )
    out += ["", *notes, ""]
    for run in result.listings:
        out += _listing_table(run)
    return "\n".join(out)


def _listing_table(run: ListingRun) -> list[str]:
    seed = run.seed_target
    rows = [
        f"#### Listing through `bindings.postgresql`, {run.title}",
        "",
        f"Seeded in {run.seed_seconds:.1f} s.",
        "",
        "| Scenario | Requests | Matches | Median ms | p95 ms | Seed | | Ours | |",
        "|---|--:|--:|--:|--:|---|---|---|---|",
    ]
    for name, timings in run.timings.items():
        matches = timings.typical_matches
        line = (
            f"| {name} | {timings.count} | {'—' if matches is None else f'{matches:,}'} "
            f"| {timings.median:.1f} | {timings.p95:.1f} |"
        )
        if name in (FLOOR, BINDING_FLOOR):
            line += " reference | | | |"
        else:
            line += _target_cells(seed, timings.p95) + _target_cells(LISTING_OURS, timings.p95)
        rows.append(line)
    if seed is None:
        rows += ["", f"The seed sets no target at this size ({LISTING_SEED.label} at 10,000)."]
    return [*rows, ""]


def _target_cells(target: Target | None, p95: float) -> str:
    if target is None:
        return " none | |"
    return f" {target.label} | {_mark(p95 < target.ms)} |"


def _mark(met: bool) -> str:
    return "met" if met else "**missed**"
