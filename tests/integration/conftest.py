"""Fixtures of the integration tier: the local Dapr stack (scripts/stack.sh), real parts.

TASKFLOW_SKIP_STACK=1 skips every test that needs it (e.g. on a machine where Dapr has not
been built yet and there is no time for the first build).
"""

import os
from collections.abc import Callable, Iterator

import pytest

from tests.support.stack import Stack, running_stack

FIGURES = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole stack, up once per test run (down at the end if this run started it)."""
    if os.environ.get("TASKFLOW_SKIP_STACK") == "1":
        pytest.skip("TASKFLOW_SKIP_STACK=1")
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    with running_stack(log) as running:
        yield running


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Record a line of counts and timings: printed in the run's summary, passed or not."""
    lines = request.config.stash.setdefault(FIGURES, [])

    def record(line: str) -> None:
        lines.append(f"{request.node.name}: {line}")
        print(line)

    return record


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    lines = config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("figures of the fault tests")
        for line in lines:
            terminalreporter.write_line(line)
