"""The local Dapr stack (scripts/stack.sh) for the integration tier: addresses and helpers.

`running_stack()` brings the stack up once (or finds it running) and yields its addresses;
it takes the stack down afterwards only if it brought it up; `scaled()` runs more app
replicas for a while. The first run provisions PostgreSQL, Kafka and Dapr (a long build of
daprd and scheduler, cached after that).
"""

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.accounts import ADMIN_ENV, admin_token, bearer

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "stack.sh"
KAFKA = ROOT / "scripts" / "kafka.sh"
APP_IDS = ("taskflow", "recurrence", "reminders", "audit", "notifier")


@dataclass(frozen=True)
class Stack:
    """Where the running stack answers, and the tokens its sidecars and apps expect."""

    app_url: str  # the app (UI and API), as `make run`: its first replica
    app_urls: tuple[str, ...]  # every app replica, the first first
    sidecars: dict[str, str]  # app id -> base URL of its daprd's HTTP API
    apps: dict[str, str]  # app id -> base URL of the app or processor itself
    kafka_bootstrap: str  # host:port of the Kafka broker
    scheduler_address: str  # host:port of the Dapr scheduler
    dapr_api_tokens: dict[str, str]  # app id -> what its sidecar requires of callers
    app_api_tokens: dict[str, str]  # app id -> what its sidecar sends to it
    run_dir: Path  # PID files, logs, secrets
    database_url: str  # the stack's database as its owner, for tests that look behind the app
    api_token: str  # a read-write API token of the test admin (tests.support.accounts)

    def client(self, timeout: float = 15) -> httpx.Client:
        """A client of the app's API, signed in as the test admin."""
        return httpx.Client(base_url=self.app_url, timeout=timeout, headers=bearer(self.api_token))

    def sidecar(self, app_id: str) -> str:
        return self.sidecars[app_id]

    def dapr_headers(self, app_id: str) -> dict[str, str]:
        """Headers for a call to the API of that app's sidecar."""
        return {"dapr-api-token": self.dapr_api_tokens[app_id]}

    def pid_of(self, name: str) -> int:
        """PID of a part of the stack: taskflow, audit, audit-dapr, scheduler, kafka,
        postgres, ..."""
        return int(_script("pid", name, timeout=60))

    def kill(self, name: str) -> None:
        """SIGKILL a part of the stack (and its process group, when it leads one): no
        shutdown code runs. Returns once the group is gone."""
        pid = self.pid_of(name)
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _group_alive(pid):
            assert time.monotonic() < deadline, f"{name} (pid {pid}) still runs 30 s after SIGKILL"
            time.sleep(0.05)

    def start(self, name: str) -> None:
        """Start one part again, as `up` does; return once it answers."""
        _script("start", name, timeout=600)

    def restore(self) -> None:
        """Start whatever part of the stack is not running (`up`: nothing when all run)."""
        _script("up", timeout=1800)

    def environment_of(self, name: str) -> dict[str, str]:
        """The environment a process of the stack was started with."""
        raw = Path(f"/proc/{self.pid_of(name)}/environ").read_bytes().decode(errors="replace")
        return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)

    def log(self, name: str) -> Path:
        """A process's log: taskflow, taskflow-dapr, audit, audit-dapr, scheduler, ..."""
        return self.run_dir / f"{name}.log"

    def assignments(self, group: str) -> dict[str, set[str]]:
        """The topics Kafka assigns to each member of a consumer group now, by member id
        (Kafka's consumer group tool)."""
        result = subprocess.run(
            [
                str(KAFKA),
                "run",
                "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
                "--bootstrap-server",
                self.kafka_bootstrap,
                "--describe",
                "--group",
                group,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID,
        # a line per partition; CONSUMER-ID "-": no member has it.
        members: dict[str, set[str]] = {}
        for line in result.stdout.splitlines():
            fields = line.split()
            if len(fields) >= 7 and fields[0] == group and fields[6] != "-":
                members.setdefault(fields[6], set()).add(fields[1])
        return members


def _script(*args: str, timeout: float) -> str:
    """Run scripts/stack.sh; its output, or an error carrying what it said."""
    result = subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"scripts/stack.sh {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}{result.stderr}"
        )
    return result.stdout


def log_tail(name: str) -> str:
    """The last lines of the log of one part of the stack (`scripts/stack.sh logs NAME`)."""
    return _script("logs", name, timeout=30)


def _group_alive(pgid: int) -> bool:
    """Does a process of that group (or with that PID) still run? Zombies do not count."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, rest = stat.read_text().split(" ", 1)
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
        state, _, group = rest.rsplit(")", 1)[1].split()[:3]
        if state != "Z" and pgid in (int(pid), int(group)):
            return True
    return False


def stack_env() -> dict[str, str]:
    """`scripts/stack.sh env` as a dict (addresses and, once the stack has run, tokens)."""
    out = _script("env", timeout=60)
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def is_running() -> bool:
    return (
        subprocess.run(
            [str(SCRIPT), "status"], capture_output=True, check=False, timeout=60
        ).returncode
        == 0
    )


def stack_from_env(env: dict[str, str]) -> Stack:
    return Stack(
        app_url=env["APP_URL"],
        app_urls=tuple(env["APP_URLS"].split()),
        sidecars={i: env[f"{i.upper()}_DAPR_HTTP_URL"] for i in APP_IDS},
        apps={i: env[f"{i.upper()}_APP_URL"] for i in APP_IDS},
        kafka_bootstrap=env["KAFKA_BOOTSTRAP"],
        scheduler_address=env["SCHEDULER_ADDRESS"],
        dapr_api_tokens={i: env[f"{i.upper()}_DAPR_API_TOKEN"] for i in APP_IDS},
        app_api_tokens={i: env[f"{i.upper()}_APP_API_TOKEN"] for i in APP_IDS},
        run_dir=Path(env["TASKFLOW_STACK_DIR"]),
        database_url=env["TASKFLOW_STACK_DATABASE_URL"],
        api_token=admin_token(env["APP_URL"]),
    )


def _run(command: str, log: Path, timeout: float, replicas: int | None = None) -> None:
    started = time.monotonic()
    scale = {} if replicas is None else {"REPLICAS": str(replicas)}
    with log.open("a") as out:
        result = subprocess.run(
            [str(SCRIPT), command],
            # The app makes sure the test admin exists (a stack started otherwise needs them too).
            env={**os.environ, **ADMIN_ENV, **scale},
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-60:])
        raise RuntimeError(
            f"scripts/stack.sh {command} failed ({result.returncode}) after "
            f"{time.monotonic() - started:.0f} s; its output ends with:\n{tail}"
        )


@contextlib.contextmanager
def running_stack(log: Path, timeout: float = 3600) -> Iterator[Stack]:
    """The stack, up. Started here (and stopped at the end) unless it already runs."""
    ours = not is_running()
    if ours:
        try:
            _run("up", log, timeout)
        except BaseException:
            # Leave nothing running; the logs stay in the stack's folder.
            with contextlib.suppress(Exception):
                _run("down", log, 300)
            raise
    try:
        yield stack_from_env(stack_env())
    finally:
        if ours:
            _run("down", log, 300)


@contextlib.contextmanager
def scaled(stack: Stack, replicas: int, log: Path, timeout: float = 1800) -> Iterator[Stack]:
    """The running `stack` with `replicas` app replicas (`REPLICAS=n scripts/stack.sh up`),
    brought back to as many as it had afterwards."""
    _run("up", log, timeout, replicas)
    try:
        yield stack_from_env(stack_env())
    finally:
        _run("up", log, timeout, len(stack.app_urls))
