"""CPU and memory of process trees while a load runs (psutil)."""

import statistics
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType

import psutil

SAMPLE_SECONDS = 0.5
MIB = 1024 * 1024


@dataclass(frozen=True)
class Usage:
    """One process tree over a watched period."""

    cpu_percent: float  # CPU time over wall time, in % of one core (200 % = both of two)
    rss_median_mib: float
    rss_peak_mib: float
    processes: int  # the most processes the tree had at once


def tree(root: int) -> list[psutil.Process]:
    """`root` and its descendants (those still alive)."""
    try:
        process = psutil.Process(root)
        return [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def rss_mib(roots: Iterable[int]) -> float:
    """The resident memory of the trees under `roots` now, summed."""
    total = 0
    for root in roots:
        for process in tree(root):
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
    return total / MIB


def cpu_percent(cpu_seconds: float, wall_seconds: float) -> float:
    return 100 * cpu_seconds / wall_seconds if wall_seconds > 0 else 0.0


class Watch:
    """Samples the process trees of `groups` (name -> root pid) from entering to `usage()`.

    CPU is the growth of each process's user + system time (a process that started meanwhile
    counts from zero; one that ended takes its last sample), so short-lived workers count too.
    """

    def __init__(self, groups: dict[str, int]) -> None:
        self.groups = groups
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._owner: dict[int, str] = {}
        self._rss: dict[str, list[float]] = {name: [] for name in groups}
        self._count: dict[str, int] = dict.fromkeys(groups, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = 0.0
        self._ended = 0.0

    def __enter__(self) -> "Watch":
        self._started = time.monotonic()
        self._sample(first=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._ended = time.monotonic()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self._sample(first=False)
        self._sample(first=False)

    def _sample(self, first: bool) -> None:
        for name, root in self.groups.items():
            members = tree(root)
            rss = 0
            for process in members:
                try:
                    times = process.cpu_times()
                    rss += process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                used = times.user + times.system
                if process.pid not in self._first:
                    self._first[process.pid] = used if first else 0.0
                    self._owner[process.pid] = name
                self._last[process.pid] = used
            if members:
                self._rss[name].append(rss / MIB)
                self._count[name] = max(self._count[name], len(members))

    def usage(self) -> dict[str, Usage]:
        wall = self._ended - self._started
        out = {}
        for name in self.groups:
            cpu = sum(
                self._last[pid] - self._first[pid]
                for pid, owner in self._owner.items()
                if owner == name
            )
            rss = self._rss[name] or [0.0]
            out[name] = Usage(
                cpu_percent(cpu, wall), statistics.median(rss), max(rss), self._count[name]
            )
        return out
