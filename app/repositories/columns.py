"""Column types that behave the same on SQLite and PostgreSQL."""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement

from app.domain.enums import Priority


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; SQLite keeps naive UTC text."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class PriorityRank(sa.TypeDecorator[Priority]):
    """Stored as its rank (low=1 < medium=2 < high=3) so ORDER BY and indexes sort by rank."""

    impl = sa.SmallInteger
    cache_ok = True

    def process_bind_param(self, value: Priority | str | None, dialect: Dialect) -> int | None:
        return None if value is None else Priority(value).rank

    def process_result_value(self, value: int | None, dialect: Dialect) -> Priority | None:
        return None if value is None else PRIORITY_BY_RANK[value]


PRIORITY_BY_RANK = {priority.rank: priority for priority in Priority}


class TagList(sa.TypeDecorator[list[str]]):
    """text[] on PostgreSQL (GIN-indexable), a JSON array elsewhere."""

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(sa.Text()))
        return dialect.type_descriptor(sa.JSON())

    def process_result_value(self, value: Any, dialect: Dialect) -> list[str]:
        return list(value or [])


class tags_contain(ColumnElement[bool]):
    """True when the tag column holds every one of `tags`."""

    inherit_cache = False
    type = sa.Boolean()

    def __init__(self, column: sa.ColumnElement[Any], tags: list[str]) -> None:
        self.column = column
        self.tags = tags


@compiles(tags_contain, "postgresql")
def _tags_contain_pg(element: tags_contain, compiler: Any, **kw: Any) -> str:
    array = sa.literal(element.tags, postgresql.ARRAY(sa.Text()))
    return "({})".format(compiler.process(element.column.op("@>")(array), **kw))


@compiles(tags_contain)
def _tags_contain_generic(element: tags_contain, compiler: Any, **kw: Any) -> str:
    clauses = []
    for tag in element.tags:
        values = sa.func.json_each(element.column).table_valued("value")
        clauses.append(
            sa.exists(sa.select(sa.literal(1)).select_from(values).where(values.c.value == tag))
        )
    return f"({compiler.process(sa.and_(*clauses), **kw)})"


class json_integer(ColumnElement[int]):
    """The integer at `path` inside a JSON column, NULL when absent. The path is written into
    the SQL as it is: give it only names from the code, never input."""

    inherit_cache = False
    type = sa.Integer()

    def __init__(self, column: sa.ColumnElement[Any], *path: str) -> None:
        if not all(part.isidentifier() for part in path):
            raise ValueError(f"not a path of plain names: {path!r}")
        self.column = column
        self.path = path


@compiles(json_integer, "postgresql")
def _json_integer_pg(element: json_integer, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"(({column} #>> '{{{','.join(element.path)}}}')::INTEGER)"


@compiles(json_integer)
def _json_integer_generic(element: json_integer, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"CAST(json_extract({column}, '$.{'.'.join(element.path)}') AS INTEGER)"
