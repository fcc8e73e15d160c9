"""The product as a user runs it: `scripts/run.sh` (= `make run`), UI and API on one port."""

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import (  # noqa: F401 (fixtures)
    anonymous_context,
    api,
    browser,
    context,
    contexts,
    open_board,
)
from tests.support.servers import ROOT, free_port, wait_until_ready

COLD_START_SECONDS = 600


class Product:
    """`make run` in its own process group, on a private port and database."""

    def __init__(self, database_url: str, log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._env = {
            **os.environ,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "TASKFLOW_DATABASE_URL": database_url,
        }
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

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
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    folder = tmp_path_factory.mktemp("product")
    running = Product(f"sqlite:///{folder / 'taskflow.db'}", folder / "run.log")
    running.start()
    try:
        yield running
    finally:
        running.stop()
