"""The load part of the bench: its sums over Locust's samples, the tabs' protocol reading, and
the report's load sections (written, found again, kept by a run that measured other parts)."""

import json
from pathlib import Path

from bench.load import (
    LOAD_GENERATOR,
    TOTAL,
    Combined,
    LoadOptions,
    LoadResult,
    Summary,
    Swarm,
    combine,
    parse_swarm_output,
    summarize,
)
from bench.processes import Usage, cpu_percent
from bench.report import (
    FINDINGS_MARKER,
    STACK_MARKER,
    Parts,
    assemble,
    existing_parts,
    render_load,
    split_load,
)
from bench.sessions import (
    NAMESPACE,
    Reach,
    SessionsResult,
    event_of,
    hydrate_packet,
    is_listed,
    redirects,
)

OPTIONS = LoadOptions(
    runs=2,
    read_connections=50,
    read_seconds=15,
    read_warmup=3,
    people=1000,
    spawn_rate=50,
    people_seconds=60,
    people_warmup=10,
    think_seconds=5,
)
BOARD = "reflex___state____state.app___ui___state___board____board_state"


def test_a_summary_counts_failures_as_errors_and_times_only_successes() -> None:
    samples: list[tuple[str, float, str | None]] = [
        ("list", float(ms), None) for ms in range(1, 101)
    ]
    samples += [("list", 5000.0, "ConnectionRefusedError: refused"), ("create", 7.0, None)]
    swarm = summarize(samples, seconds=10)
    listing = swarm.summaries["list"]
    assert (listing.requests, listing.errors) == (101, 1)
    assert (listing.p50, listing.p95, listing.p99) == (50, 95, 99)
    assert listing.per_second == 10.1
    total = swarm.summaries[TOTAL]
    assert (total.requests, total.errors) == (102, 1)
    assert swarm.errors == {"ConnectionRefusedError: refused": 1}


def test_a_name_with_only_failures_has_no_times() -> None:
    swarm = summarize([("complete", 3.0, "HTTPError: 409")], seconds=5)
    assert swarm.summaries["complete"] == Summary("complete", 1, 1, 5, 0.0, 0.0, 0.0)


def test_several_runs_give_the_median_of_each_figure_and_every_error() -> None:
    runs = tuple(
        Summary("page", requests, errors, 10, p50, p50 * 2, p50 * 3)
        for requests, errors, p50 in ((1000, 0, 10.0), (3000, 2, 30.0), (2000, 1, 20.0))
    )
    both = Combined("page", runs)
    assert both.per_second == 200
    assert (both.p50, both.p95, both.p99) == (20, 40, 60)
    assert both.worst_p95 == 60
    assert (both.requests, both.errors) == (6000, 3)


def test_runs_where_every_request_failed_have_no_times_to_count() -> None:
    failed = Summary("create", 5, 5, 10, 0.0, 0.0, 0.0)
    timed = Summary("create", 5, 1, 10, 40.0, 80.0, 90.0)
    assert (
        Combined("create", (failed, timed)).p50,
        Combined("create", (failed, timed)).worst_p95,
    ) == (
        40,
        80,
    )
    assert Combined("create", (failed,)).p95 is None


def test_combine_takes_the_name_from_every_run_that_has_it() -> None:
    first = summarize([("list", 5.0, None)], 1)
    second = summarize([("search", 5.0, None)], 1)
    assert len(combine([first, second], "list").runs) == 1
    assert len(combine([first, second], TOTAL).runs) == 2


def test_the_swarm_output_is_samples_then_the_window() -> None:
    lines = [
        json.dumps(["list", 12.5, None]),
        json.dumps(["create", 3, "boom"]),
        "",
        '{"window": 60.2}',
    ]
    samples, window = parse_swarm_output(lines)
    assert samples == [("list", 12.5, None), ("create", 3.0, "boom")]
    assert window == 60.2


def test_cpu_is_a_share_of_one_core() -> None:
    assert cpu_percent(30, 20) == 150
    assert cpu_percent(1, 0) == 0


def test_the_hydrate_packet_connects_the_event_namespace_with_the_board_event() -> None:
    packet = hydrate_packet()
    assert packet.startswith(f"40{NAMESPACE},")
    auth = json.loads(packet.split(",", 1)[1])
    assert auth["event"]["name"] == "reflex___state____state.hydrate_and_load"
    assert auth["event"]["router_data"]["pathname"] == "/"


def test_a_tab_reads_event_packets_of_its_namespace_only() -> None:
    update = {"delta": {BOARD: {"loading_rx_state_": False, "rows_rx_state_": []}}}
    message = f"42{NAMESPACE}," + json.dumps(["event", update])
    assert event_of(message) == update
    assert is_listed(update)
    assert event_of("42/other," + json.dumps(["event", update])) is None
    assert event_of(f"42{NAMESPACE}," + json.dumps(["pong", "x"])) is None
    assert not is_listed({"delta": {BOARD: {"loading_rx_state_": True}}})
    assert redirects({"events": [{"name": "_redirect", "payload": {"path": "/login"}}]})


def _usage(cpu: float) -> dict[str, Usage]:
    return {"server (`make run`)": Usage(cpu, 300, 320, 2), LOAD_GENERATOR: Usage(90, 80, 90, 1)}


def _result(mode: str = "embedded") -> LoadResult:
    read = summarize([("page", 100.0, None)] * 300 + [("page", 200.0, None)], 2)
    read = Swarm(read.summaries, read.errors, _usage(180))
    mix: list[tuple[str, float, str | None]] = [("list", 20.0, None)] * 90
    mix += [("create", 400.0, "HTTPError: 503")]
    people = summarize(mix, 10)
    people = Swarm(people.summaries, people.errors, _usage(120))
    return LoadResult(
        mode=mode,
        date="2030-01-01 00:00 UTC",
        machine={"CPU": "test", "Cores": "2 logical"},
        tokens=1000,
        reads={"page": [read, read]} if mode == "embedded" else None,
        people=[people, people],
        sessions=SessionsResult(
            asked=1000,
            opened=998,
            sign_ins=100,
            failures={"TimeoutError: ": 2},
            open_seconds=80,
            hydrate_p50_ms=900,
            hydrate_p95_ms=2000,
            rss_before_mib=300,
            rss_open_mib=500,
            changes=(Reach((500.0, 1500.0, 2500.0), 995), Reach((400.0,), 997)),
        )
        if mode == "embedded"
        else None,
        idle=_usage(1),
        total_seconds=600,
    )


def test_the_report_marks_what_missed_its_target() -> None:
    sections = render_load(_result(), OPTIONS)
    assert set(sections) == {"reads", "people", "sessions"}
    # 150 req/s against Vikunja's 139 and p99 200 ms < 250 ms: met.
    assert "| page | 602 | 0 | 150 |" in sections["reads"]
    assert "| met |" in sections["reads"]
    assert "**missed**" in sections["people"]  # one error
    assert "| create | 2 | 2 | 0.1 | — | — | — | — |" in sections["people"]  # none timed
    assert "205 KiB" in sections["sessions"]  # 200 MiB over 998 tabs
    assert (
        "| 1 | 3 | 995 | 1,500 | 2,500 | 2,500 | all < 2 s | **missed** |" in sections["sessions"]
    )
    assert render_load(_result("dapr"), OPTIONS).keys() == {"people-dapr"}


def test_a_run_rewrites_only_the_load_sections_it_measured(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    findings = f"{FINDINGS_MARKER}\n\n## Profile\n\nWritten by hand.\n"
    first = render_load(_result(), OPTIONS)
    report.write_text(
        assemble(Parts("## Machine\n\nembedded", f"{STACK_MARKER}\n## Stack", findings, first))
    )
    found = existing_parts(report)
    assert found.embedded == "## Machine\n\nembedded"
    assert found.stack == f"{STACK_MARKER}\n## Stack"
    assert found.load == {name: text.strip() for name, text in first.items()}
    assert "Written by hand." in found.findings

    dapr = render_load(_result("dapr"), OPTIONS)
    report.write_text(
        assemble(Parts(found.embedded, found.stack, found.findings, {**found.load, **dapr}))
    )
    again = existing_parts(report)
    assert list(again.load) == ["reads", "people", "people-dapr", "sessions"]
    assert again.load["reads"] == first["reads"].strip()


def test_a_report_without_load_sections_has_none() -> None:
    body, load = split_load("## Machine\n\nno load here\n")
    assert (body, load) == ("## Machine\n\nno load here\n", {})
