"""The database roles of the stack and the cluster, on the project's PostgreSQL: the
migrator owns the schema; the runtime role, which the app's database access runs as, reads
and writes rows and keeps the Dapr state store's tables, but cannot change the schema."""

import subprocess
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from app.repositories.grants import DAPR_STATE_SCHEMA
from tests.support.servers import ROOT, migrate, postgres_server_url

pytestmark = pytest.mark.postgres
SCRIPT = ROOT / "scripts" / "postgres.sh"
RUNTIME = "taskflow_runtime"


def role_url(role: str, database: str) -> sa.URL:
    url = subprocess.run([SCRIPT, "url", role], check=True, capture_output=True, text=True)
    return sa.make_url(url.stdout.strip()).set(database=database)


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A database made as scripts/stack.sh makes its own, migrated as it migrates it."""
    postgres_server_url()  # the cluster runs, and the roles exist
    name = f"taskflow_roles_{uuid.uuid4().hex[:8]}"
    subprocess.run([SCRIPT, "database", name], check=True, capture_output=True)
    migrator = role_url("taskflow_migrator", name)
    try:
        migrate(migrator.render_as_string(hide_password=False), runtime_role=RUNTIME)
        yield name
    finally:
        owner = sa.create_engine(migrator.set(database="taskflow"), poolclass=sa.NullPool)
        with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        owner.dispose()


@pytest.fixture
def runtime(database: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(role_url(RUNTIME, database), poolclass=sa.NullPool)
    with engine.connect() as connection:
        yield connection
        connection.rollback()
    engine.dispose()


def test_the_migrator_owns_every_table(database: str) -> None:
    engine = sa.create_engine(role_url(RUNTIME, database), poolclass=sa.NullPool)
    with engine.connect() as connection:
        owners = connection.execute(
            sa.text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        assert set(owners) == {"taskflow_migrator"}
    engine.dispose()


def test_the_runtime_role_reads_and_writes_rows(runtime: sa.Connection) -> None:
    runtime.execute(sa.text("INSERT INTO id_sequence (name, value) VALUES ('roles', 1)"))
    runtime.execute(sa.text("UPDATE id_sequence SET value = 2 WHERE name = 'roles'"))
    found = runtime.execute(sa.text("SELECT value FROM id_sequence WHERE name = 'roles'"))
    assert found.scalar_one() == 2
    runtime.execute(sa.text("DELETE FROM id_sequence WHERE name = 'roles'"))
    assert runtime.execute(sa.text("SELECT count(*) FROM task")).scalar_one() == 0


def test_the_runtime_role_keeps_the_state_store_in_its_schema(runtime: sa.Connection) -> None:
    # What Dapr's state.postgresql does at start-up, with tablePrefix `dapr.`.
    runtime.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {DAPR_STATE_SCHEMA}.state (key text)"))
    runtime.execute(sa.text(f"INSERT INTO {DAPR_STATE_SCHEMA}.state VALUES ('conversation')"))


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE task",
        "DROP TABLE alembic_version",
        "ALTER TABLE task ADD COLUMN stolen text",
        "ALTER TABLE task OWNER TO taskflow_runtime",
        "ALTER TABLE task DISABLE TRIGGER ALL",
        "TRUNCATE task",
        "CREATE INDEX guessing ON task (title)",
        "CREATE TABLE public.mine (id int)",
        "DROP SCHEMA public CASCADE",
        f"DROP SCHEMA {DAPR_STATE_SCHEMA} CASCADE",
    ],
)
def test_the_runtime_role_cannot_change_the_schema(runtime: sa.Connection, statement: str) -> None:
    with pytest.raises(
        sa.exc.ProgrammingError, match=r"InsufficientPrivilege|must be owner|denied"
    ):
        runtime.execute(sa.text(statement))


def test_the_database_plans_with_the_random_page_cost_of_an_ssd(runtime: sa.Connection) -> None:
    """So that a search is planned over the trigram indexes (migration 0010)."""
    assert runtime.execute(sa.text("SHOW random_page_cost")).scalar_one() == "1.1"
