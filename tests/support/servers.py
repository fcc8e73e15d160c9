"""Real servers for the slow tiers: the project's PostgreSQL, the API under uvicorn, and small
HTTP servers on loopback."""

import contextlib
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic.config import main as alembic_command

from tests.support.accounts import ADMIN_ENV

ROOT = Path(__file__).resolve().parents[2]
# The folder the project's scripts keep downloads and builds in (scripts/lib.sh).
CACHE = Path(
    os.environ.get("TASKFLOW_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "taskflow"
)


def postgres_server_url() -> str:
    """Start the project's PostgreSQL cluster if needed; its URL."""
    url = os.environ.get("TASKFLOW_TEST_POSTGRES_URL")
    if url:
        return url
    script = ROOT / "scripts" / "postgres.sh"
    subprocess.run([script, "start"], check=True, stdout=subprocess.DEVNULL)
    return subprocess.run(
        [script, "url"], check=True, capture_output=True, text=True
    ).stdout.strip()


@contextlib.contextmanager
def fresh_postgres_database(prefix: str, template: str | None = None) -> Iterator[str]:
    """A new database on the project's cluster, dropped afterwards: empty, or a copy of the
    database named `template`."""
    server = sa.make_url(postgres_server_url())
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    copying = f' TEMPLATE "{template}"' if template else ""
    # No pool: the fault tests restart the server, and a pooled connection would not survive.
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"{copying}'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate(database_url: str, runtime_role: str | None = None) -> None:
    """`alembic upgrade head`; with `runtime_role`, as the stack runs it (the role of the URL
    owns the schema and grants the runtime role what the app needs)."""
    alembic(database_url, "upgrade", "head", runtime_role=runtime_role)


def alembic(database_url: str, *arguments: str, runtime_role: str | None = None) -> None:
    """Run the alembic command `arguments` on the database at `database_url`, in this process
    (its imports are already made: a migration takes a fraction of a second, not a new
    interpreter's seconds); the environment is as the alembic command's would be."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TASKFLOW_DATABASE_URL", database_url)
        patch.delenv("TASKFLOW_DATABASE_RUNTIME_ROLE", raising=False)
        if runtime_role is not None:
            patch.setenv("TASKFLOW_DATABASE_RUNTIME_ROLE", runtime_role)
        alembic_command(["--raiseerr", "-c", str(ROOT / "alembic.ini"), *arguments])


def free_port(preferred: int = 0) -> int:
    """`preferred` if it is free, else any free port."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
        except OSError:
            probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve_api(database_url: str, log_path: Path, **env: str) -> Iterator[str]:
    """The API (embedded runtime) under uvicorn in its own process, the test admin
    (tests.support.accounts) made at start-up; yields its base URL."""
    port = free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "app.api.main:api_from_env",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            cwd=ROOT,
            # No Gemini key unless a test gives one: the offline assistant answers.
            env={
                **os.environ,
                "TASKFLOW_DATABASE_URL": database_url,
                "GEMINI_API_KEY": "",
                **ADMIN_ENV,
                **env,
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base_url, process)
        yield base_url
    finally:
        stop(process)


def stop(process: "subprocess.Popen[Any]") -> None:
    """SIGTERM, and SIGKILL if it has not ended 10 s later."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_until_ready(base_url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before it was ready")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/health/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{base_url} not ready after {timeout} s")


class _Server(ThreadingHTTPServer):
    # Connections waiting to be accepted, as a real server keeps (nginx: 511); Python's 5
    # refuses a burst of notifications.
    request_queue_size = 128


@contextlib.contextmanager
def http_server(
    handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None
) -> Iterator[str]:
    """`handler` answering on a free loopback port, a thread per request, over TLS with `tls`;
    its base URL."""
    server = _Server(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
