"""What the figures were measured on."""

import os
import platform
import sqlite3
from pathlib import Path

import sqlalchemy as sa


def describe() -> dict[str, str]:
    """The machine's rows of a report's table: CPU, cores, memory, OS and Python."""
    return {
        "CPU": cpu_model(),
        "Cores": cores(),
        "RAM": memory(),
        "OS": operating_system(),
        "Python": python(),
    }


def cpu_model() -> str:
    for line in _lines("/proc/cpuinfo"):
        name, _, value = line.partition(":")
        if name.strip() == "model name":
            return value.strip()
    return platform.processor() or "unknown"


def cores() -> str:
    logical = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else logical
    return f"{logical} logical" + ("" if usable == logical else f" ({usable} usable)")


def memory() -> str:
    for line in _lines("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def operating_system() -> str:
    pretty = platform.system()
    for line in _lines("/etc/os-release"):
        if line.startswith("PRETTY_NAME="):
            pretty = line.partition("=")[2].strip().strip('"')
    return f"{pretty}, kernel {platform.release()} ({platform.machine()})"


def python() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}"


def sqlite() -> str:
    return sqlite3.sqlite_version


def postgres(url: str) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.exec_driver_sql("SHOW server_version").scalar_one())
    finally:
        engine.dispose()


def load() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []
