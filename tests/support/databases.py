"""Migrated databases for tests. The real alembic migrations run once per test session into a
template of each kind; every test, module or server then gets a copy of that template (SQLite:
the file copied; PostgreSQL: CREATE DATABASE ... TEMPLATE), which takes milliseconds instead
of a migration's seconds."""

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from app.adapters.local.sql import EngineSql, create_engine
from tests.support.servers import fresh_postgres_database, migrate


class _Templates:
    """The session's migrated templates, made on first use and removed by `drop`."""

    def __init__(self) -> None:
        self._sqlite: Path | None = None
        self._postgres: str | None = None
        self._kept = contextlib.ExitStack()

    def sqlite(self) -> Path:
        if self._sqlite is None:
            folder = self._kept.enter_context(
                tempfile.TemporaryDirectory(prefix="taskflow-template-")
            )
            path = Path(folder) / "template.db"
            migrate(f"sqlite:///{path}")
            self._sqlite = path
        return self._sqlite

    def postgres(self) -> str:
        """The name of the migrated template database on the project's cluster."""
        if self._postgres is None:
            url = self._kept.enter_context(fresh_postgres_database("taskflow_template"))
            migrate(url)
            self._postgres = sa.make_url(url).database
        assert self._postgres is not None
        return self._postgres

    def drop(self) -> None:
        self._kept.close()
        self._sqlite = self._postgres = None


TEMPLATES = _Templates()


def migrated_sqlite_url(folder: Path, name: str = "taskflow.db") -> str:
    """A migrated SQLite database of its own in `folder`."""
    path = folder / name
    shutil.copyfile(TEMPLATES.sqlite(), path)
    return f"sqlite:///{path}"


def migrated_sqlite(folder: Path) -> EngineSql:
    """The `Sql` port over a migrated SQLite database of its own in `folder`."""
    return EngineSql(create_engine(migrated_sqlite_url(folder)))


@contextlib.contextmanager
def migrated_postgres(prefix: str) -> Iterator[str]:
    """A migrated PostgreSQL database of its own on the project's cluster, dropped afterwards."""
    with fresh_postgres_database(prefix, template=TEMPLATES.postgres()) as url:
        yield url


@contextlib.contextmanager
def migrated_database(kind: str, folder: Path, prefix: str = "taskflow_test") -> Iterator[str]:
    """A migrated database of its own of either kind ("sqlite" or "postgresql"); its URL."""
    if kind == "sqlite":
        yield migrated_sqlite_url(folder)
    else:
        with migrated_postgres(prefix) as url:
            yield url
