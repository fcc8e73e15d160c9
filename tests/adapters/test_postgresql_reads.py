"""Reads through the Sql port on the project's PostgreSQL: each planned for its own parameters,
and answered after the database ended the connections the pool holds."""

import asyncio
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from app.adapters.local.sql import EngineSql, create_engine
from tests.support.databases import migrated_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with migrated_postgres("taskflow_reads") as database:
        yield database


@pytest.fixture
def admin(url: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


@pytest.fixture
def sql(url: str) -> Iterator[EngineSql]:
    engine = create_engine(url)
    port = EngineSql(engine)
    yield port
    engine.dispose()


def fetch_one(sql: EngineSql, statement: sa.Select[tuple[str]]) -> str:
    return str(asyncio.run(sql.fetch(statement))[0][0])


def test_a_read_is_planned_for_its_own_parameters(sql: EngineSql) -> None:
    mode = sa.select(sa.func.current_setting("plan_cache_mode"))

    assert fetch_one(sql, mode) == "force_custom_plan"


def test_a_read_after_the_database_ended_the_pools_connections_is_answered(
    sql: EngineSql, admin: sa.Connection
) -> None:
    assert fetch_one(sql, sa.select(sa.literal("before"))) == "before"
    ended = admin.execute(
        sa.text(
            "SELECT count(*) FROM pg_stat_activity, pg_terminate_backend(pid) "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    ).scalar_one()
    assert ended >= 1

    assert fetch_one(sql, sa.select(sa.literal("after"))) == "after"
