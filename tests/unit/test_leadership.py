"""Leadership among the embedded workers: a lock file beside the database, which one process
holds at a time and another takes over when the holder dies, however it dies."""

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from app.adapters.local.leader import FileLeadership, lock_path
from tests.support.servers import ROOT

HOLDER = """
import sys, time
from pathlib import Path
from app.adapters.local.leader import FileLeadership
leadership = FileLeadership(Path(sys.argv[1]))
assert leadership.try_take()
print("held", flush=True)
time.sleep(600)
"""


def test_one_holder_at_a_time(tmp_path: Path) -> None:
    first = FileLeadership(tmp_path / "taskflow.db.leader")
    second = FileLeadership(tmp_path / "taskflow.db.leader")
    assert first.try_take()
    assert first.try_take()  # holding it already
    assert not second.try_take()
    assert not second.held
    first.release()
    assert second.try_take()
    assert not first.try_take()
    second.release()


async def test_a_waiting_worker_takes_over_when_the_holder_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "taskflow.db.leader"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        waiting = FileLeadership(path, retry_seconds=0.05)
        taking = asyncio.create_task(waiting.take())
        await asyncio.sleep(0.3)
        assert not taking.done()
        os.kill(holder.pid, signal.SIGKILL)
        await asyncio.wait_for(taking, 10)
        assert waiting.held
        waiting.release()
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_sits_beside_the_sqlite_file_or_else_in_the_temporary_folder() -> None:
    assert lock_path("sqlite:////srv/taskflow/data.db", "taskflow-abc") == Path(
        "/srv/taskflow/data.db.leader"
    )
    assert lock_path("postgresql+psycopg://u:p@db/taskflow", "taskflow-abc") == (
        Path(tempfile.gettempdir()) / "taskflow-abc.leader"
    )
