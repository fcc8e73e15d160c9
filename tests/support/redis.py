"""The project's own Redis (scripts/redis.sh), for the tests of what the embedded workers pass
each other through it."""

import subprocess

from tests.support.servers import ROOT


def redis_server_url() -> str:
    """Its URL, started when it is not running; left running, as `make run` leaves it (the
    stack and other checkouts share it)."""
    started = subprocess.run(
        [ROOT / "scripts" / "redis.sh", "start"], check=True, capture_output=True, text=True
    )
    return started.stdout.strip()
