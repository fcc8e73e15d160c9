"""SQLite through the Sql port: reads run beside an open write transaction instead of
queueing for the write lock; writes go through the one write connection, one at a time, the
worker processes of one database taking turns, and `fetch` refuses them."""

import asyncio
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.adapters.local.sql import EngineSql, WriteTurns, create_engine
from app.repositories.outbox import outbox_inserts
from app.repositories.tables import OUTBOX
from tests.support.databases import migrated_sqlite
from tests.support.events import an_event


@pytest.fixture
def sql(tmp_path: Path) -> EngineSql:
    return migrated_sqlite(tmp_path)


async def test_a_read_does_not_wait_for_an_open_write_transaction(sql: EngineSql) -> None:
    for statement in outbox_inserts(an_event("task.deleted", task_id=1)):
        await sql.write(statement)
    holding = threading.Event()
    release = threading.Event()

    def long_write() -> None:
        with sql.engine.begin() as connection:
            connection.execute(sa.update(OUTBOX).values(attempts=OUTBOX.c.attempts + 1))
            holding.set()
            release.wait(60)

    writer = threading.Thread(target=long_write)
    writer.start()
    try:
        assert await asyncio.to_thread(holding.wait, 60)
        # Were reads to take the write lock, this would wait until the writer gave up.
        async with asyncio.timeout(20):
            rows = await sql.fetch(sa.select(OUTBOX.c.attempts))
        assert rows == [(0,), (0,)], "the last committed state, not the open write"
    finally:
        release.set()
        await asyncio.to_thread(writer.join)
    assert await sql.fetch(sa.select(OUTBOX.c.attempts)) == [(1,), (1,)]


async def test_writes_return_their_rows_and_are_serialized(sql: EngineSql) -> None:
    for statement in outbox_inserts(an_event("task.deleted", task_id=1)):
        await sql.write(statement)
    bumps = [
        sql.write(
            sa.update(OUTBOX)
            .where(OUTBOX.c.topic == "task-events")
            .values(attempts=OUTBOX.c.attempts + 1)
            .returning(OUTBOX.c.attempts)
        )
        for _ in range(20)
    ]
    returned = sorted(rows[0][0] for rows in await asyncio.gather(*bumps))
    assert returned == list(range(1, 21))


async def test_fetch_refuses_a_write(sql: EngineSql) -> None:
    with pytest.raises(TypeError, match="use write"):
        await sql.fetch(sa.update(OUTBOX).values(attempts=1).returning(OUTBOX.c.id))


async def test_a_write_waits_for_another_workers_turn(sql: EngineSql) -> None:
    database = Path(str(sql.engine.url.database))
    other_worker = EngineSql(create_engine(f"sqlite:///{database}"))
    insert = outbox_inserts(an_event("task.deleted", task_id=1))[0]
    try:
        with WriteTurns(database).turn():
            writing = asyncio.ensure_future(other_worker.write(insert))
            # The turn holds no SQLite lock: without turns this write would be done at once.
            await asyncio.sleep(0.5)
            assert not writing.done()
        async with asyncio.timeout(20):
            await writing
        assert len(await sql.fetch(sa.select(OUTBOX.c.id))) == 2, "a row for each topic"
    finally:
        other_worker.engine.dispose()
