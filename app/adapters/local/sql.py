"""The Sql port over a SQLAlchemy engine (SQLite by default, PostgreSQL by URL).

On a SQLite file, writes go through one connection in one thread, several to a transaction
(`GroupWriter`: the database allows a single writer), while reads run on their own pool of
read-only connections, in the caller's thread: in WAL mode they see the last committed state
and never wait for the writer. A read is this process's own CPU work, in C, from a page cache
in memory; a thread for each gained nothing on a worker that is one event loop, and under load
its handoffs and the threads' turns for the GIL cost a fifth of the server's CPU and most of a
request's time (docs/benchmarks.md). The worker processes of one database take turns to write
through a lock file beside it (`WriteTurns`). On PostgreSQL, reads and writes run in threads
of the pool, reads in autocommit on connections of their own (`_postgresql_reader`).
"""

import asyncio
import concurrent.futures
import fcntl
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import Executable

from app.ports import Row, StoreUnavailable

T = TypeVar("T")

READERS = 8
# Writers queue for the one write connection; a long queue must not fail a write.
WRITE_QUEUE_SECONDS = 300
# The most writes one SQLite transaction takes, and how long the writer thread waits for more
# before it ends (the next write starts another).
GROUP_LIMIT = 64
WRITER_IDLE_SECONDS = 5.0


def create_engine(url: str) -> Engine:
    """The engine for writes (and, on PostgreSQL, for reads too)."""
    if url.startswith("sqlite"):
        # An in-memory database lives in its one connection: reads share it.
        one_writer = (
            {}
            if _in_memory(sa.make_url(url))
            else {"pool_size": 1, "max_overflow": 0, "pool_timeout": WRITE_QUEUE_SECONDS}
        )
        engine = sa.create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **one_writer
        )
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    # EngineSql writes through it; its reads have a pool of their own (`_postgresql_reader`).
    return sa.create_engine(url, pool_size=5, max_overflow=5, pool_pre_ping=True)


def _in_memory(url: sa.URL) -> bool:
    return url.database in (None, "", ":memory:") or "mode=memory" in str(url)


def _sqlite_file(engine: Engine) -> Path | None:
    """The SQLite file `engine` writes to; None on PostgreSQL or in memory."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or _in_memory(engine.url) or database is None:
        return None
    return Path(database)


def _reader_for(engine: Engine) -> Engine:
    if engine.dialect.name == "postgresql":
        return _postgresql_reader(engine)
    if _sqlite_file(engine) is None:
        return engine
    reader = sa.create_engine(
        engine.url,
        connect_args={"timeout": 30, "check_same_thread": False},
        pool_size=READERS,
        max_overflow=0,
    )
    sa.event.listen(reader, "connect", _sqlite_on_connect)
    sa.event.listen(reader, "connect", _sqlite_read_only)
    return reader


def _postgresql_reader(engine: Engine) -> Engine:
    """Reads on PostgreSQL: each one statement in autocommit, so no BEGIN goes with it and no
    ROLLBACK after it, and no ping when a connection is taken from the pool: those were two of
    a read's three round trips. A read that finds its connection lost is run again once
    (`EngineSql._read`), and the pool connects anew.

    Without the ROLLBACK, which made psycopg forget its prepared statements, a statement run
    five times on a connection is prepared. PostgreSQL may then plan it once for any
    parameters, and a generic plan of a text search cannot know how common the word is: a
    one-word search at 100,000 tasks took 27 ms instead of 20. Each run is planned for its
    own parameters (`plan_cache_mode`); the parsing is still saved."""
    return sa.create_engine(
        engine.url,
        pool_size=10,
        max_overflow=10,
        isolation_level="AUTOCOMMIT",
        connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
    )


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy issues BEGIN itself (below), so the driver must not.
    dbapi_connection.isolation_level = None
    # SQLite's own lower() folds ASCII only; case-insensitive search must fold every letter.
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_read_only(dbapi_connection: Any, _record: Any) -> None:
    # Each read is one statement in its own (deferred) read transaction; writing is refused.
    dbapi_connection.execute("PRAGMA query_only=ON")


def _lower(text: str | None) -> str | None:
    return None if text is None else text.lower()


def _sqlite_begin_immediate(connection: Connection) -> None:
    # Take the write lock up front: a deferred transaction that later writes can deadlock.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class WriteTurns:
    """The worker processes' turns to write to one SQLite file, queued in the kernel.

    SQLite answers a writer that finds another process writing with SQLITE_BUSY, and its busy
    handler sleeps and tries again (1, 2, 5 ... up to 100 ms a sleep) however soon the other
    is done. A lock on a file beside the database (flock) wakes the next writer as soon as it is
    free; it is let go when the process dies."""

    def __init__(self, database: Path) -> None:
        self._path = database.with_name(database.name + "-writer")

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._path.open("ab") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield


@dataclass
class _Write:
    guard: Executable
    follow_ups: Sequence[Executable]
    result: "concurrent.futures.Future[list[Row]]" = field(
        default_factory=concurrent.futures.Future
    )


def _run_write(
    connection: Connection, guard: Executable, follow_ups: Sequence[Executable]
) -> list[Row]:
    result = connection.execute(guard)
    rows: list[Row] = list(result.all()) if result.returns_rows else []
    if rows:
        for statement in follow_ups:
            connection.execute(statement)
    return rows


class GroupWriter:
    """SQLite's writes of one process, run by one thread, as many as are waiting (up to
    GROUP_LIMIT) in one transaction: one turn, one BEGIN and one COMMIT for all of them.

    A burst of writes costs one transaction instead of one each, and no write holds the
    database in a thread of the pool that waits for the GIL. Each write is still all or
    nothing, and none is answered before its transaction commits. When one of a group fails,
    the group is rolled back and its writes run again one by one, so only the failing one
    fails."""

    def __init__(self, engine: Engine, turns: WriteTurns) -> None:
        self._engine = engine
        self._turns = turns
        self._waiting: list[_Write] = []
        self._arrived = threading.Condition()
        # The process whose writer thread runs, if one does: a worker forked from a process
        # that wrote has no such thread.
        self._running_in: int | None = None

    async def write(self, guard: Executable, follow_ups: Sequence[Executable]) -> list[Row]:
        write = _Write(guard, follow_ups)
        with self._arrived:
            self._waiting.append(write)
            if self._running_in == os.getpid():
                self._arrived.notify()
            else:
                self._running_in = os.getpid()
                threading.Thread(target=self._run, name="sqlite-writer", daemon=True).start()
        return await asyncio.wrap_future(write.result)

    def _run(self) -> None:
        while waiting := self._next_waiting():
            # A write whose caller gave up before it ran is not run.
            group = [write for write in waiting if write.result.set_running_or_notify_cancel()]
            if len(group) > 1 and self._commit_together(group):
                continue
            for write in group:
                self._commit_alone(write)

    def _next_waiting(self) -> list[_Write]:
        """The next writes to run; none once none came for WRITER_IDLE_SECONDS, and then the
        thread ends."""
        with self._arrived:
            if not self._waiting:
                self._arrived.wait(WRITER_IDLE_SECONDS)
            waiting = self._waiting[:GROUP_LIMIT]
            del self._waiting[:GROUP_LIMIT]
            if not waiting:
                self._running_in = None
            return waiting

    def _commit_together(self, group: list[_Write]) -> bool:
        try:
            with self._turns.turn(), self._engine.begin() as connection:
                results = [_run_write(connection, write.guard, write.follow_ups) for write in group]
        except Exception:
            return False
        for write, rows in zip(group, results, strict=True):
            write.result.set_result(rows)
        return True

    def _commit_alone(self, write: _Write) -> None:
        try:
            with self._turns.turn(), self._engine.begin() as connection:
                rows = _run_write(connection, write.guard, write.follow_ups)
        except Exception as error:
            write.result.set_exception(error)
        else:
            write.result.set_result(rows)


class EngineSql:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reader = _reader_for(engine)
        database = _sqlite_file(engine)
        self._group = None if database is None else GroupWriter(engine, WriteTurns(database))

    async def fetch(self, statement: Executable) -> list[Row]:
        if not isinstance(statement, sa.Select):
            raise TypeError(f"fetch runs reads only, not {type(statement).__name__}: use write")
        if self._group is None:
            return await _off_the_loop(self._read, statement)
        # The others' turn first: a task reading page after page still lets them run.
        await asyncio.sleep(0)
        with _store_errors():
            return self._read(statement)

    async def write(self, guard: Executable, follow_ups: Sequence[Executable] = ()) -> list[Row]:
        if self._group is None:
            return await _off_the_loop(self._write, guard, follow_ups)
        with _store_errors():
            return await self._group.write(guard, follow_ups)

    async def ping(self) -> None:
        await self.fetch(sa.select(sa.literal(1)))

    def _read(self, statement: Executable) -> list[Row]:
        try:
            return self._read_once(statement)
        except sa.exc.DBAPIError as error:
            # A connection the database closed since its last use (PostgreSQL restarted): the
            # pool has let go of all such, and a read changes nothing, so it is safe to repeat.
            if not error.connection_invalidated:
                raise
            return self._read_once(statement)

    def _read_once(self, statement: Executable) -> list[Row]:
        with self._reader.connect() as connection:
            return list(connection.execute(statement).all())

    def _write(self, guard: Executable, follow_ups: Sequence[Executable]) -> list[Row]:
        with self.engine.begin() as connection:
            return _run_write(connection, guard, follow_ups)


@contextmanager
def _store_errors() -> Iterator[None]:
    """A lost or refused connection is the store unavailable."""
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
        raise StoreUnavailable(f"the database failed: {error.orig}") from error


async def _off_the_loop(run: Callable[..., T], *args: Any) -> T:
    """`run` in a worker thread."""
    with _store_errors():
        return await anyio.to_thread.run_sync(run, *args)
