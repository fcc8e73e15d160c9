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
from tests.support.servers import CACHE, ROOT, free_port, wait_until_ready
from tests.support.tasks import eventually

COLD_START_SECONDS = 600
# The servers of these tests keep their port, when it is free, and their compiled frontend in the
# cache from run to run: they start without building it again (scripts/run.sh).
KEPT_PORTS = {"product": 3201, "workers": 3202, "first run": 3203, "side by side": 3204}


def kept(name: str) -> tuple[int, Path]:
    """The port of the server `name` and the folder of its compiled frontend."""
    return free_port(KEPT_PORTS[name]), CACHE / "web" / f"e2e-{name.replace(' ', '-')}"


class Product:
    """`make run` in its own process group, on a private port and database, with the test
    admin (tests.support.accounts) made at start-up (without `admin`: a fresh install, no user
    at all), on `port` if given, its compiled frontend in `web` if given (else the checkout's
    .web), and `env` added to the environment."""

    def __init__(
        self,
        database_url: str,
        log_path: Path,
        admin: bool = True,
        port: int | None = None,
        web: Path | None = None,
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
            **({"REFLEX_WEB_WORKDIR": str(web)} if web else {}),
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
    port, web = kept("product")
    running = Product(
        f"sqlite:///{folder / 'taskflow.db'}",
        folder / "run.log",
        port=port,
        web=web,
        TASKFLOW_SMTP_URL=product_smtp.url,
        TASKFLOW_NOTIFY_ALLOW_PRIVATE="1",
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()
