"""One Locust run, headless, in a process of its own: `python -m bench.swarm < plan.json`.

Locust patches the standard library for gevent when imported, so the bench (asyncio, httpx,
subprocesses) never imports it; bench/load.py starts this module instead. It reads a `Plan`
(bench/load.py) as JSON on stdin, runs the users it names through Locust's library API
(Environment, a local runner), and writes every request it timed inside the measured window as
JSON lines on stdout: `[name, milliseconds, error or null]`, then `{"window": seconds}`.
"""

import json
import random
import re
import sys
import time
from typing import Any

import gevent
from locust import FastHttpUser, User, constant, task
from locust.env import Environment

from bench.scenarios import SEARCH_WORDS

FILTER = {"status": "pending", "priority": "high"}


class _Plan:
    """What bench/load.py asked for (the fields of its `Plan`)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        # The servers to spread the users over (the app replicas, as a load balancer would).
        self.hosts: list[str] = raw["hosts"]
        self.kind: str = raw["kind"]  # "read" (one endpoint, no think time) or "mix"
        self.endpoint: str = raw.get("endpoint", "")
        self.users: int = raw["users"]
        self.spawn_rate: float = raw["spawn_rate"]
        self.warmup_seconds: float = raw["warmup_seconds"]
        self.seconds: float = raw["seconds"]
        self.think_seconds: float = raw["think_seconds"]
        self.tokens: list[str] = raw["tokens"]
        self.task_ids: int = raw["task_ids"]


PLAN = _Plan(json.load(sys.stdin))


def _auth(serial: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {PLAN.tokens[serial % len(PLAN.tokens)]}"}


class _Numbered(FastHttpUser):
    """A user with a number of its own: which token it signs with."""

    abstract = True
    wait_time = constant(PLAN.think_seconds)
    serial = 0

    def on_start(self) -> None:
        _Numbered.serial += 1
        self.headers = _auth(_Numbered.serial)
        self.rng = random.Random(_Numbered.serial)


class Reader(_Numbered):
    """One endpoint, again and again, no think time: what wrk measured."""

    @task
    def read(self) -> None:
        endpoint = PLAN.endpoint
        if endpoint == "page":
            self.client.get(
                "/api/tasks?sort_by=due_date&limit=50", headers=self.headers, name=endpoint
            )
        elif endpoint == "filter":
            self.client.get("/api/tasks", params=FILTER, headers=self.headers, name=endpoint)
        elif endpoint == "search":
            word = self.rng.choice(SEARCH_WORDS)
            self.client.get("/api/tasks", params={"q": word}, headers=self.headers, name=endpoint)
        elif endpoint == "by id":
            task_id = self.rng.randint(1, PLAN.task_ids)
            self.client.get(f"/api/tasks/{task_id}", headers=self.headers, name=endpoint)
        else:
            self.client.get("/health/live", headers=self.headers, name=endpoint)


class Person(_Numbered):
    """Someone using the board: lists, searches, adds tasks and completes the ones added."""

    def on_start(self) -> None:
        super().on_start()
        self.mine: list[int] = []

    @task(40)
    def list_page(self) -> None:
        page = self.rng.choice((0, 0, 0, 50, 100))
        self.client.get(
            f"/api/tasks?sort_by=due_date&limit=50&offset={page}", headers=self.headers, name="list"
        )

    @task(30)
    def search(self) -> None:
        word = self.rng.choice(SEARCH_WORDS)
        self.client.get("/api/tasks", params={"q": word}, headers=self.headers, name="search")

    @task(15)
    def create(self) -> None:
        body = {"title": f"Load test {self.rng.choice(SEARCH_WORDS)} {self.serial}"}
        with self.client.post(
            "/api/tasks", json=body, headers=self.headers, name="create", catch_response=True
        ) as response:
            if response.status_code == 201 and response.json() is not None:
                self.mine.append(int(response.json()["id"]))
                response.success()

    @task(15)
    def complete(self) -> None:
        if not self.mine:
            self.create()
            return
        task_id = self.mine.pop()
        self.client.post(f"/api/tasks/{task_id}/complete", headers=self.headers, name="complete")


def _error_text(exception: BaseException) -> str:
    """The error without what varies per request (query strings, ids), so alike ones add up."""
    text = re.sub(r"https?://[^/\s]+|\?\S*", "", f"{type(exception).__name__}: {exception}")
    return re.sub(r"/\d+", "/{id}", text)[:200]


def _per_host(user: type[_Numbered]) -> list[type[User]]:
    """`user` once for each host, as many users of each: Locust spreads them by weight."""
    return [
        type(f"{user.__name__}{n}", (user,), {"host": host}) for n, host in enumerate(PLAN.hosts)
    ]


def main() -> None:
    environment = Environment(user_classes=_per_host(Reader if PLAN.kind == "read" else Person))
    measuring = False
    out = sys.stdout

    def record(name: str, response_time: float, exception: BaseException | None, **_: Any) -> None:
        if measuring:
            error = None if exception is None else _error_text(exception)
            out.write(json.dumps([name, response_time, error]) + "\n")

    environment.events.request.add_listener(record)
    runner = environment.create_local_runner()
    runner.start(PLAN.users, spawn_rate=PLAN.spawn_rate)
    ramp = PLAN.users / PLAN.spawn_rate
    gevent.sleep(ramp + PLAN.warmup_seconds)
    measuring = True
    started = time.monotonic()
    gevent.sleep(PLAN.seconds)
    measuring = False
    window = time.monotonic() - started
    runner.quit()
    out.write(json.dumps({"window": window}) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
