"""Whose rows a statement may touch, written once for every owned table; and the rows from
before any user, given to the first admin."""

import sqlalchemy as sa

from app.ports import Sql
from app.repositories.tables import AUDIT_LOG, REMINDER, TASK

OWNED_TABLES = (TASK, REMINDER, AUDIT_LOG)


def owned(table: sa.Table, owner: int) -> sa.ColumnElement[bool]:
    """The condition every statement on `table` that acts for a user carries: the row is
    `owner`'s. Another owner's row then looks exactly like a missing one."""
    return table.c.owner_id == owner


async def give_unowned_rows_to(sql: Sql, user_id: int) -> None:
    """Give every row stored before any user existed to `user_id` (the first admin)."""
    for table in OWNED_TABLES:
        await sql.write(sa.update(table).where(table.c.owner_id.is_(None)).values(owner_id=user_id))
