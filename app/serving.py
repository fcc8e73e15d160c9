"""How many connections each worker of `make run` takes at a time.

`reflex run --env prod` serves the app with Granian, which lets a worker hold at most
`backpressure` connections at a time: the listen backlog divided by the workers unless told
otherwise (512 of 1,024 with two). On Linux every worker listens on a socket of its own
(SO_REUSEPORT) and the kernel hashes each new connection to one of them, so with a thousand
keep-alive clients (or open board tabs, each a WebSocket) one worker is often handed more
than 512. Those past 512 then wait in its queue until one of its connections closes, while
the other worker has room: requests that time out on an idle server. Reflex passes Granian no
backpressure; the server class it builds takes the whole backlog per worker from here.
"""

from typing import Any

import granian.server


class _Server(granian.server.Server):  # type: ignore[misc,valid-type]  # MPServer or MTServer
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.backpressure = self.backlog


def admit_the_whole_backlog_per_worker() -> None:
    """Make the Granian server Reflex starts (imported when it starts it) let every worker
    hold as many connections as the listen backlog."""
    granian.server.Server = _Server
