"""Fixtures of the integration tier: the local Dapr stack (scripts/stack.sh), real parts.

TASKFLOW_SKIP_STACK=1 skips every test that needs it (e.g. on a machine where Dapr has not
been built yet and there is no time for the first build).
"""

import os
import subprocess
from collections.abc import Callable, Generator, Iterator

import pytest

from tests.support.mail import MailServer, mail_server
from tests.support.stack import Stack, log_tail, running_stack
from tests.support.webpush import PushService, push_service

FIGURES = pytest.StashKey[list[str]]()
STACK_MAIL_FROM = "TaskFlow <reminders@stack.taskflow.test>"


@pytest.fixture(scope="session")
def stack_smtp() -> Iterator[MailServer]:
    """The SMTP server the stack's notifier mails through."""
    with mail_server() as server:
        yield server


@pytest.fixture(scope="session")
def stack_push(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushService]:
    """The Web Push service the stack's notifier pushes to (TLS; the stack trusts it)."""
    with push_service(tmp_path_factory.mktemp("stack-push")) as service:
        yield service


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, stack_smtp: MailServer, stack_push: PushService
) -> Iterator[Stack]:
    """The whole stack, up once per test run (down at the end if this run started it). Every
    start of a part of it, also by a fault test, sees the mail settings and trusts the push
    service's certificate."""
    if os.environ.get("TASKFLOW_SKIP_STACK") == "1":
        pytest.skip("TASKFLOW_SKIP_STACK=1")
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TASKFLOW_SMTP_URL", stack_smtp.url)
        patch.setenv("TASKFLOW_MAIL_FROM", STACK_MAIL_FROM)
        # The tests' webhook receivers listen on loopback.
        patch.setenv("TASKFLOW_NOTIFY_ALLOW_PRIVATE", "1")
        patch.setenv("SSL_CERT_FILE", str(stack_push.trust_path))
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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test on the stack reports the end of the app's log with its traceback: CI
    keeps nothing else of the stack."""
    report: pytest.TestReport = yield
    if report.failed and call.when == "call" and "stack" in getattr(item, "fixturenames", ()):
        try:
            tail = log_tail("taskflow")
        except (RuntimeError, subprocess.TimeoutExpired) as unread:
            tail = f"unread: {unread}"
        report.sections.append(("the app's log, last lines", tail))
    return report


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    lines = config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("figures of the fault tests")
        for line in lines:
            terminalreporter.write_line(line)
