"""A migrated database of each kind, for the service tests of this tier."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.adapters.local.sql import EngineSql, create_engine
from app.repositories.tables import AUDIT_LOG, OUTBOX, REMINDER, TASK
from tests.support.databases import migrated_database, migrated_sqlite
from tests.support.owners import OWNER, STRANGER, users


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EngineSql]:
    with migrated_database(
        request.param, tmp_path_factory.mktemp("services"), "taskflow_services"
    ) as url:
        engine = create_engine(url)
        yield EngineSql(engine)
        engine.dispose()


@pytest.fixture
def sql(database: EngineSql) -> EngineSql:
    """The module's database, emptied of tasks, reminders and events before each test, with
    the users OWNER and STRANGER."""
    with database.engine.begin() as connection:
        for table in (REMINDER, TASK, OUTBOX, AUDIT_LOG):
            connection.execute(sa.delete(table))
        connection.execute(users(OWNER, STRANGER))
    return database


@pytest.fixture
def fresh_sqlite(tmp_path: Path) -> EngineSql:
    """A migrated SQLite database of the test's own (for tests that count every row), with
    no user."""
    return migrated_sqlite(tmp_path)
