"""Mapping between selected columns and model objects, and id allocation."""

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import SQLModel

from app.domain.models import IdSequence
from app.ports import Row, Sql

M = TypeVar("M", bound=SQLModel)


def columns_of(model: type[SQLModel]) -> list[sa.Column[Any]]:
    return list(model.__table__.columns)  # type: ignore[attr-defined]


def from_row(model: type[M], row: Row) -> M:
    names = [column.name for column in columns_of(model)]
    return model.model_validate(dict(zip(names, row, strict=True)))


def from_rows(model: type[M], rows: Sequence[Row]) -> list[M]:
    return [from_row(model, row) for row in rows]


async def allocate_id(sql: Sql, name: str) -> int:
    """The next id of `name`: one atomic UPDATE ... RETURNING on every database."""
    table = IdSequence.__table__  # type: ignore[attr-defined]
    rows = await sql.fetch(
        sa.update(table)
        .where(table.c.name == name)
        .values(value=table.c.value + 1)
        .returning(table.c.value)
    )
    return int(rows[0][0])
