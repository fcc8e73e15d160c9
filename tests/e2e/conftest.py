"""The product as a user runs it: `scripts/run.sh` (= `make run`), UI and API on one port."""

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    anonymous_context,
    api,
    browser,
    context,
    contexts,
    open_board,
)
from tests.support.accounts import ADMIN_ENV, admin_token, bearer
from tests.support.mail import MailServer, mail_server
from tests.support.servers import ROOT, free_port, wait_until_ready
from tests.support.tasks import eventually

COLD_START_SECONDS = 600


class Product:
    """`make run` in its own process group, on a private port and database, with the test
    admin (tests.support.accounts) made at start-up (without `admin`: a fresh install, no user
    at all), on `port` if given, and `env` added to the environment."""

    def __init__(
        self,
        database_url: str,
        log_path: Path,
        admin: bool = True,
        port: int | None = None,
        **env: str,
    ) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        inherited = {name: value for name, value in os.environ.items() if name not in ADMIN_ENV}
        self._env = {
            **inherited,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "TASKFLOW_DATABASE_URL": database_url,
            **(ADMIN_ENV if admin else {}),
            **env,
        }
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._token: str | None = None

    def client(self) -> httpx.Client:
        """A client of the API signed in as the test admin (one token, made on first use)."""
        if self._token is None:
            self._token = admin_token(self.base_url)
        return httpx.Client(base_url=self.base_url, timeout=10, headers=bearer(self._token))

    def start(self) -> None:
        with self._log_path.open("a") as log:
            self._process = subprocess.Popen(
                [str(ROOT / "scripts" / "run.sh")],
                cwd=ROOT,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until_ready(self.base_url, self._process, timeout=COLD_START_SECONDS)
        # The port answers once one worker listens; the others may still be starting.
        expected = int(self._env.get("WORKERS", "1"))
        eventually(lambda: len(self.workers()) == expected, 60)

    def workers(self) -> list[psutil.Process]:
        """The processes that serve the port: the children of `make run` listening on it."""
        assert self._process is not None, "not started"
        found = []
        for child in psutil.Process(self._process.pid).children(recursive=True):
            listening = [
                c
                for c in child.net_connections(kind="tcp")
                if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == self.port
            ]
            if listening:
                found.append(child)
        return found

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: no shutdown code runs."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        self._signal(signal.SIGTERM)

    def _signal(self, signum: int) -> None:
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signum)
        try:
            self._process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        self._process = None


@pytest.fixture(scope="session")
def product_smtp() -> Iterator[MailServer]:
    """The real SMTP server on loopback the shared product mails through."""
    with mail_server() as server:
        yield server


@pytest.fixture(scope="session")
def product(
    tmp_path_factory: pytest.TempPathFactory, product_smtp: MailServer
) -> Iterator[Product]:
    """The shared product, mailing through `product_smtp`; its webhooks may go to private
    addresses (the tests' receiver is on loopback)."""
    folder = tmp_path_factory.mktemp("product")
    running = Product(
        f"sqlite:///{folder / 'taskflow.db'}",
        folder / "run.log",
        TASKFLOW_SMTP_URL=product_smtp.url,
        TASKFLOW_NOTIFY_ALLOW_PRIVATE="1",
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests with servers of their own (a fresh install, several workers) first among the
    browser tests, so that those have stopped before the shared one starts: servers started from
    one checkout share the compiled frontend, and it connects to the port of the server that
    compiled it last."""
    e2e = Path(__file__).parent
    first = next((i for i, item in enumerate(items) if item.path.is_relative_to(e2e)), None)
    fresh = [
        item
        for item in items
        if item.path.name in ("test_ui_first_run.py", "test_workers.py", "test_side_by_side.py")
    ]
    if first is None or not fresh:
        return
    rest = [item for item in items if item not in fresh]
    items[:] = rest[:first] + fresh + rest[first:]
