"""Timing requests over real HTTP: warm-up, rounds, median of round medians, overall p95."""

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

Request = tuple[str, str, dict[str, Any]]
RequestOf = Callable[[int], Request]


@dataclass
class Timings:
    rounds: list[list[float]] = field(default_factory=list)  # milliseconds, per round
    matches: list[int] = field(default_factory=list)  # total count each request reported

    @property
    def count(self) -> int:
        return sum(len(one) for one in self.rounds)

    @property
    def median(self) -> float:
        return statistics.median(statistics.median(one) for one in self.rounds)

    @property
    def p95(self) -> float:
        return percentile([ms for one in self.rounds for ms in one], 95)

    @property
    def typical_matches(self) -> int | None:
        return int(statistics.median(self.matches)) if self.matches else None


def percentile(values: Sequence[float], rank: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)]


def measure(
    client: httpx.Client,
    scenarios: dict[str, RequestOf],
    *,
    rounds: int,
    requests: int,
    warmup: int,
) -> dict[str, Timings]:
    """Warm each scenario up, then run `rounds` rounds; a round runs every scenario in turn,
    so a noisy moment on the shared machine spreads over all of them."""
    results = {name: Timings() for name in scenarios}
    serial = {name: 0 for name in scenarios}
    for name, request_of in scenarios.items():
        for _ in range(warmup):
            _send(client, request_of(serial[name]))
            serial[name] += 1
    for _ in range(rounds):
        for name, request_of in scenarios.items():
            times: list[float] = []
            for _ in range(requests):
                elapsed, total = _send(client, request_of(serial[name]))
                serial[name] += 1
                times.append(elapsed)
                if total is not None:
                    results[name].matches.append(total)
            results[name].rounds.append(times)
    return results


def _send(client: httpx.Client, request: Request) -> tuple[float, int | None]:
    method, path, arguments = request
    started = time.perf_counter()
    response = client.request(method, path, **arguments)
    body = response.content
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{method} {path} {arguments}: {response.status_code} {body[:500]!r}")
    header = response.headers.get("x-total-count")
    if header is not None:
        return elapsed, int(header)
    if path.endswith("/search"):
        return elapsed, int(response.json()["total_count"])
    return elapsed, None
