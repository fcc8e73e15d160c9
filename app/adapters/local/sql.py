"""The Sql port over a SQLAlchemy engine (SQLite by default, PostgreSQL by URL)."""

from collections.abc import Sequence
from typing import Any

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import Executable

from app.ports import Row


def create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        sa.event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return sa.create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


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


def _lower(text: str | None) -> str | None:
    return None if text is None else text.lower()


def _sqlite_begin_immediate(connection: Connection) -> None:
    # Take the write lock up front: a deferred transaction that later writes can deadlock.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class EngineSql:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def fetch(self, statement: Executable) -> list[Row]:
        return await anyio.to_thread.run_sync(self._fetch, statement)

    async def write(self, guard: Executable, follow_ups: Sequence[Executable] = ()) -> list[Row]:
        return await anyio.to_thread.run_sync(self._write, guard, follow_ups)

    async def ping(self) -> None:
        await self.fetch(sa.select(sa.literal(1)))

    def _fetch(self, statement: Executable) -> list[Row]:
        with self.engine.begin() as connection:
            result = connection.execute(statement)
            return list(result.all()) if result.returns_rows else []

    def _write(self, guard: Executable, follow_ups: Sequence[Executable]) -> list[Row]:
        with self.engine.begin() as connection:
            rows: list[Row] = list(connection.execute(guard).all())
            if rows:
                for statement in follow_ups:
                    connection.execute(statement)
            return rows
