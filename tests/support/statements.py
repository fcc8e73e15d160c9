"""Counting the SQL statements a piece of work runs."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from app.adapters.local.sql import EngineSql


@contextmanager
def statements_run(sql: EngineSql) -> Iterator[list[str]]:
    """The statements run meanwhile on `sql`'s database, BEGIN left out: by every engine of it
    (SQLite's reads have one of their own), and by no other, such as that of an app another
    tier left serving in the background of this process."""
    statements: list[str] = []

    def count(connection: sa.Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if connection.engine.url == sql.engine.url and not statement.startswith("BEGIN"):
            statements.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", count)
