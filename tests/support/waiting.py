"""Waiting for what happens asynchronously (relayed events, timers), with a deadline."""

import time
from collections.abc import Callable
from typing import Any


def eventually(check: Callable[[], Any], seconds: float) -> Any:
    """Poll `check` until it returns something truthy and return that; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.1)
