"""SQLite through the Sql port: reads run beside an open write transaction instead of
queueing for the write lock; writes go through the one write connection, those waiting
together in one transaction, the worker processes of one database taking turns, and `fetch`
refuses them."""

import asyncio
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.adapters.local.sql import EngineSql, WriteTurns, create_engine
from app.ports import Row
from app.repositories.outbox import outbox_inserts
from app.repositories.tables import ID_SEQUENCE, OUTBOX
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


def _bump(name: str) -> sa.Update:
    return (
        sa.update(ID_SEQUENCE)
        .where(ID_SEQUENCE.c.name == name)
        .values(value=ID_SEQUENCE.c.value + 1)
        .returning(ID_SEQUENCE.c.value)
    )


async def _behind_a_write_in_progress(sql: EngineSql) -> "asyncio.Future[list[Row]]":
    """A write the writer thread has taken up and holds, waiting for its turn (which the test
    holds): the writes made meanwhile wait together for the next transaction."""
    blocker = asyncio.ensure_future(sql.write(_bump("reminder")))
    await asyncio.sleep(0.3)
    assert not blocker.done()
    return blocker


async def test_writes_made_while_one_is_in_progress_commit_together(sql: EngineSql) -> None:
    commits: list[None] = []
    sa.event.listen(sql.engine, "commit", lambda _connection: commits.append(None))
    with WriteTurns(Path(str(sql.engine.url.database))).turn():
        blocker = await _behind_a_write_in_progress(sql)
        bumps = [asyncio.ensure_future(sql.write(_bump("task"))) for _ in range(20)]
        await asyncio.sleep(0.1)
    async with asyncio.timeout(20):
        returned = [rows[0][0] for rows in await asyncio.gather(*bumps)]
        await blocker
    assert returned == list(range(1, 21)), "in the order they were made"
    assert len(commits) == 2, "the write in progress, then the twenty together"


async def test_a_failing_write_of_a_group_fails_alone(sql: EngineSql) -> None:
    with WriteTurns(Path(str(sql.engine.url.database))).turn():
        blocker = await _behind_a_write_in_progress(sql)
        writes = [
            asyncio.ensure_future(sql.write(statement))
            for statement in (
                _bump("task"),
                sa.insert(ID_SEQUENCE).values(name="task", value=7),  # the name is taken
                _bump("task"),
            )
        ]
        await asyncio.sleep(0.1)
    async with asyncio.timeout(20):
        first, failed, last = await asyncio.gather(*writes, return_exceptions=True)
        await blocker
    assert isinstance(failed, sa.exc.IntegrityError)
    assert (first, last) == ([(1,)], [(2,)])
    value = ID_SEQUENCE.c.value
    assert await sql.fetch(sa.select(value).where(ID_SEQUENCE.c.name == "task")) == [(2,)]


async def test_a_write_given_up_before_it_runs_is_not_run(sql: EngineSql) -> None:
    with WriteTurns(Path(str(sql.engine.url.database))).turn():
        blocker = await _behind_a_write_in_progress(sql)
        given_up = asyncio.ensure_future(sql.write(_bump("task")))
        await asyncio.sleep(0.1)
        given_up.cancel()
    async with asyncio.timeout(20):
        await blocker
        await sql.write(_bump("reminder"))  # runs after where the given-up write stood
    value = ID_SEQUENCE.c.value
    assert await sql.fetch(sa.select(value).where(ID_SEQUENCE.c.name == "task")) == [(0,)]


async def test_a_read_runs_in_the_callers_thread_after_letting_others_run(sql: EngineSql) -> None:
    threads: list[int] = []

    def reading(connection: sa.Connection, *_: object) -> None:
        if connection.engine.url == sql.engine.url:  # the readers' engine, of the same file
            threads.append(threading.get_ident())

    others_ran = asyncio.Event()
    asyncio.get_running_loop().call_soon(others_ran.set)
    sa.event.listen(sa.Engine, "before_cursor_execute", reading)
    try:
        await sql.fetch(sa.select(OUTBOX.c.id))
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", reading)
    assert threads == [threading.get_ident()]
    assert others_ran.is_set()
