"""Selected rows as domain objects, rows to insert as one list, and ids handed out
before an insert."""

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.sql.selectable import CTE

from app.ports import Row, Sql
from app.repositories.tables import ID_SEQUENCE

M = TypeVar("M", bound=BaseModel)


def from_row(model: type[M], table: sa.Table, row: Row) -> M:
    """`row`, holding every column of `table` in order, as a `model`."""
    return model.model_validate(dict(zip(_column_names(table), row, strict=True)))


@cache
def _column_names(table: sa.Table) -> tuple[str, ...]:
    # Asked for every row read: the table's column collection builds a new list each time.
    return tuple(table.c.keys())


def from_rows(model: type[M], table: sa.Table, rows: Sequence[Row]) -> list[M]:
    return [from_row(model, table, row) for row in rows]


def values_of(item: BaseModel, table: sa.Table) -> dict[str, Any]:
    """The column values of `item` to insert into `table`."""
    return {column.name: getattr(item, column.name) for column in table.c}


def values_list(
    table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]], name: str
) -> CTE:
    """`rows`, each the values of `columns` of `table` in order, as one list named `name` to
    select from, its columns typed as the table's: one statement for any number of rows. The
    values are parameters, so SQLAlchemy compiles the statement once for each number of rows
    (a VALUES list of data is never cached: it was compiled again for every write)."""
    selects = [
        sa.select(
            *(
                sa.bindparam(None, value, table.c[column].type).label(column)
                for column, value in zip(columns, row, strict=True)
            )
        )
        for row in rows
    ]
    listed = selects[0] if len(selects) == 1 else sa.union_all(*selects)
    return listed.cte(name)


def rows_insert(
    table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> sa.Insert:
    """An insert of `rows` into `table` that selects them from a `values_list`."""
    listed = values_list(table, columns, rows, f"new_{table.name}")
    return sa.insert(table).from_select(list(columns), sa.select(*listed.c))


async def allocate_id(sql: Sql, name: str) -> int:
    """The next id of `name`: one atomic UPDATE ... RETURNING on every database."""
    rows = await sql.write(
        sa.update(ID_SEQUENCE)
        .where(ID_SEQUENCE.c.name == name)
        .values(value=ID_SEQUENCE.c.value + 1)
        .returning(ID_SEQUENCE.c.value)
    )
    return int(rows[0][0])
