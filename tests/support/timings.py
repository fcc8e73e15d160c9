"""A pytest plugin (`-p tests.support.timings`) that adds up the time of each tier (the folder
under tests/: set-up, call and tear-down of its tests) and writes one `tier seconds` line each
to the file named by TASKFLOW_TIER_TIMINGS, for scripts/test.sh to print at the end."""

import os
from collections import defaultdict
from pathlib import Path

import pytest

_seconds: defaultdict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::", 1)[0].split("/")
    _seconds[path[1] if len(path) > 2 and path[0] == "tests" else path[0]] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("TASKFLOW_TIER_TIMINGS")
    if target:
        lines = [f"{tier} {seconds:.0f}" for tier, seconds in sorted(_seconds.items())]
        Path(target).write_text("".join(f"{line}\n" for line in lines))
