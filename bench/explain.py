"""EXPLAIN ANALYZE of the statements TaskService.query issues (PostgreSQL only)."""

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from app.adapters.local.sql import create_engine
from app.ports import Row
from app.services.tasks import TaskService
from bench.scenarios import Ask


class _Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: Executable) -> None:
        self.statement = statement


@compiles(_Explain, "postgresql")
def _explain_pg(element: _Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (ANALYZE, BUFFERS) " + str(compiler.process(element.statement, **kw))


@dataclass(frozen=True)
class Plan:
    sql: str
    text: str
    wall_ms: float  # the statement alone, run warm from Python (no EXPLAIN overhead)


class _ExplainingSql:
    """Runs each statement twice (the second run timed), then EXPLAIN ANALYZE of it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.plans: list[Plan] = []

    async def fetch(self, statement: Executable) -> list[Row]:
        with self.engine.begin() as connection:
            connection.execute(statement).all()
            started = time.perf_counter()
            rows: list[Row] = list(connection.execute(statement).all())
            elapsed = (time.perf_counter() - started) * 1000
            lines = [str(line) for line in connection.execute(_Explain(statement)).scalars()]
        sql = str(statement.compile(dialect=self.engine.dialect))  # type: ignore[attr-defined]
        self.plans.append(Plan(sql, "\n".join(lines), elapsed))
        return rows

    async def write(self, guard: Executable, follow_ups: Sequence[Executable] = ()) -> list[Row]:
        raise NotImplementedError("the bench only reads")

    async def ping(self) -> None:
        await self.fetch(sa.select(sa.literal(1)))


def explain(database_url: str, asks: Sequence[Ask], owner: int) -> list[list[Plan]]:
    """For each ask, the plans of the statements a listing of `owner` runs (the page, maybe a
    count)."""
    engine = create_engine(database_url)
    try:
        result = []
        for ask in asks:
            sql = _ExplainingSql(engine)
            asyncio.run(TaskService(sql, "UTC", lambda: None).query(owner, ask.query()))
            result.append(sql.plans)
        return result
    finally:
        engine.dispose()
