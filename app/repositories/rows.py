"""Selected rows as domain objects, and ids handed out before an insert."""

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel

from app.ports import Row, Sql
from app.repositories.tables import ID_SEQUENCE

M = TypeVar("M", bound=BaseModel)


def from_row(model: type[M], table: sa.Table, row: Row) -> M:
    """`row`, holding every column of `table` in order, as a `model`."""
    return model.model_validate(dict(zip(table.c.keys(), row, strict=True)))


def from_rows(model: type[M], table: sa.Table, rows: Sequence[Row]) -> list[M]:
    return [from_row(model, table, row) for row in rows]


def values_of(item: BaseModel, table: sa.Table) -> dict[str, Any]:
    """The column values of `item` to insert into `table`."""
    return {column.name: getattr(item, column.name) for column in table.c}


async def allocate_id(sql: Sql, name: str) -> int:
    """The next id of `name`: one atomic UPDATE ... RETURNING on every database."""
    rows = await sql.write(
        sa.update(ID_SEQUENCE)
        .where(ID_SEQUENCE.c.name == name)
        .values(value=ID_SEQUENCE.c.value + 1)
        .returning(ID_SEQUENCE.c.value)
    )
    return int(rows[0][0])
