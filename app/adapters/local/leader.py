"""Leadership among the worker processes of one embedded install: an exclusive lock on a file
beside the database, held for the life of the process that took it.

The kernel drops the lock when its holder exits, however it exits (SIGKILL included), and the
others try to take it every second, so one of them takes over within about a second.
"""

import asyncio
import contextlib
import fcntl
import os
import tempfile
from pathlib import Path

import sqlalchemy as sa

RETRY_SECONDS = 1.0


def lock_path(database_url: str, install: str) -> Path:
    """The lock of the install that uses `database_url`: beside the SQLite file, or for a
    database elsewhere in the temporary folder, under the `install`'s name."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).with_name(Path(url.database).name + ".leader")
    return Path(tempfile.gettempdir()) / f"{install}.leader"


class FileLeadership:
    def __init__(self, path: Path, retry_seconds: float = RETRY_SECONDS) -> None:
        self._path = path
        self._retry_seconds = retry_seconds
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_take(self) -> bool:
        """Take the lock if nobody holds it; True while this process holds it."""
        if self._fd is not None:
            return True
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def take(self) -> None:
        """Wait until this process holds the lock."""
        while not self.try_take():
            await asyncio.sleep(self._retry_seconds)

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
