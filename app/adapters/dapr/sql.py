"""The Sql port over Dapr's `bindings.postgresql`: SQLAlchemy compiles, the sidecar runs it.

Every parameter travels as text and is cast to its column type in SQL, so the binding never
has to guess how a JSON value maps onto a PostgreSQL type. A write and its follow-ups become
one statement: data-modifying CTEs that run only when the guard returned rows.

The binding's `query` reports a connection lost after the statement was sent as an empty
list, with no error. So a statement with result columns is sent as one that always answers
exactly one row, its rows as one JSON array: an answer without that row is a failure, never
"no rows".
"""

import json
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import grpc
import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.psycopg import PGCompiler_psycopg, PGDialect_psycopg
from sqlalchemy.sql import Executable
from sqlalchemy.sql.cache_key import CacheKey
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import CTE

from app.adapters.dapr.sidecar import Sidecar
from app.ports import Row, StoreUnavailable


class _TextParamsCompiler(PGCompiler_psycopg):
    def render_bind_cast(self, type_: Any, dbapi_type: Any, sqltext: str) -> str:
        return f"({sqltext}::TEXT){super().render_bind_cast(type_, dbapi_type, '')}"


class _BindingDialect(PGDialect_psycopg):
    statement_compiler = _TextParamsCompiler


DIALECT = _BindingDialect(paramstyle="numeric_dollar")


RowReader = Callable[[list[Any]], Row]


@dataclass(frozen=True)
class _Shape:
    """What every statement of one cache key shares: its text as sent (None: compiled for
    each run, see `_Compiled`) and how its rows are read (None: it has no result columns)."""

    compiled: SQLCompiler | None
    read: RowReader | None


class _Compiled:
    """Statements as sent, compiled, by SQLAlchemy's cache key of the statement asked for (its
    shape, its values apart), the least recently used dropped first: what the engine's own
    cache does for the embedded runtime. Compiling a page, and making it one row, took 1 to
    1.6 ms of the app's one event loop; finding a new statement's result columns again,
    a tenth of the app's time under load."""

    def __init__(self, size: int) -> None:
        self._size = size
        # compiled None: a statement with an IN list, whose length is not in the key, or a
        # value written into the text: compiled for each run, with the list expanded.
        self._by_key: OrderedDict[tuple[Any, ...], _Shape] = OrderedDict()

    def of(self, statement: sa.ClauseElement) -> tuple[SQLCompiler, Mapping[str, Any], _Shape]:
        """`statement` compiled as sent, its parameters, and its shape."""
        cache_key = statement._generate_cache_key()
        if cache_key is None:
            shape = _Shape(None, _reader(statement))
            return *_expanded(statement, shape), shape
        if cache_key.key in self._by_key:
            self._by_key.move_to_end(cache_key.key)
            shape = self._by_key[cache_key.key]
        else:
            read = _reader(statement)
            # Compiled with the key of the statement asked for: its parameters, which the sent
            # form holds, take the values of whichever statement of that key comes later.
            compiled = _compile(_sent(statement, read), expand=False, cache_key=cache_key)
            for_each_run = compiled.post_compile_params or compiled.literal_execute_params
            shape = self._by_key[cache_key.key] = _Shape(None if for_each_run else compiled, read)
            if len(self._by_key) > self._size:
                self._by_key.popitem(last=False)
        if shape.compiled is None:
            return *_expanded(statement, shape), shape
        params = shape.compiled.construct_params(extracted_parameters=cache_key.bindparams)
        return shape.compiled, params, shape


def _sent(statement: sa.ClauseElement, read: RowReader | None) -> sa.ClauseElement:
    """A statement with result columns goes `in_one_row`."""
    return statement if read is None else in_one_row(statement)


def _expanded(statement: sa.ClauseElement, shape: _Shape) -> tuple[SQLCompiler, Mapping[str, Any]]:
    compiled = _compile(_sent(statement, shape.read), expand=True)
    return compiled, compiled.construct_params()


def _compile(
    statement: sa.ClauseElement, *, expand: bool, cache_key: CacheKey | None = None
) -> SQLCompiler:
    compiled = statement.compile(
        dialect=DIALECT, cache_key=cache_key, compile_kwargs={"render_postcompile": expand}
    )
    assert isinstance(compiled, SQLCompiler)
    return compiled


COMPILED = _Compiled(size=500)


def compile_for_binding(
    statement: Executable,
) -> tuple[str, list[str | None], RowReader | None]:
    """PostgreSQL text with $n placeholders, the parameters as text in that order, and how
    a row of the answer is read: of `statement`, or, if it has result columns, of
    `in_one_row(statement)`."""
    assert isinstance(statement, sa.ClauseElement)
    compiled, params, shape = COMPILED.of(statement)
    values: list[str | None] = []
    for name in compiled.positiontup or []:
        bind = compiled.binds[name if name in compiled.binds else name.rsplit("_", 1)[0]]
        value = params[name]
        if isinstance(bind.type.dialect_impl(DIALECT), sa.JSON):
            values.append(None if value is None else json.dumps(value))
            continue
        process = bind.type._cached_bind_processor(DIALECT)
        values.append(_as_text(process(value) if process else value))
    return compiled.string, values, shape.read


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "{" + ",".join(_array_item(item) for item in value) + "}"
    return str(value)


def _array_item(item: Any) -> str:
    text = str(item).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


class BindingSql:
    def __init__(self, sidecar: Sidecar, binding: str = "taskdb") -> None:
        self._sidecar = sidecar
        self._binding = binding

    async def fetch(self, statement: Executable) -> list[Row]:
        if not isinstance(statement, sa.Select):
            raise TypeError(f"fetch runs reads only, not {type(statement).__name__}: use write")
        return await self._run(statement)

    async def write(self, guard: Executable, follow_ups: Sequence[Executable] = ()) -> list[Row]:
        return await self._run(guarded_batch(guard, follow_ups) if follow_ups else guard)

    async def ping(self) -> None:
        await self.fetch(sa.select(sa.literal(1)))

    async def _run(self, statement: Executable) -> list[Row]:
        """`query` for a statement with result columns (a SELECT, a write with RETURNING),
        `exec` for one without."""
        sql, params, read = compile_for_binding(statement)
        operation = "exec" if read is None else "query"
        try:
            response = await self._sidecar.calls.invoke_binding(
                self._binding,
                operation,
                binding_metadata={"sql": sql, "params": json.dumps(params)},
            )
        except grpc.RpcError as error:
            raise StoreUnavailable(f"the database binding failed: {error}") from error
        return [] if read is None else rows_from_answer(response.data, read)


def in_one_row(statement: sa.ClauseElement) -> sa.Select[Any]:
    """`statement` (a SELECT, or a write with RETURNING) as one row: its rows as JSON text."""
    result = statement.cte("result")  # type: ignore[attr-defined]
    rows = sa.func.json_agg(sa.func.json_build_array(*result.c))
    return sa.select(sa.func.coalesce(sa.cast(rows, sa.Text), sa.literal_column("'[]'")))


def rows_from_answer(data: bytes | None, read: RowReader) -> list[Row]:
    """The rows of a statement sent `in_one_row`, from the binding's answer."""
    answer = orjson.loads(data or b"[]")
    if len(answer) != 1:
        raise StoreUnavailable("the database did not finish the statement")
    [[rows]] = answer
    return [read(raw) for raw in orjson.loads(rows)]


def guarded_batch(guard: Executable, follow_ups: Sequence[Executable]) -> sa.Select[Any]:
    """One statement: the guard and, only if it returned rows, the follow-ups."""
    guard_cte = guard.cte("guard")  # type: ignore[attr-defined]
    guarded = sa.exists(sa.select(sa.literal(1)).select_from(guard_cte))
    ctes = [_only_if(step, guarded).cte(f"step_{n}") for n, step in enumerate(follow_ups)]
    return sa.select(*guard_cte.c).add_cte(*ctes)


def _only_if(statement: Executable, condition: sa.ColumnElement[bool]) -> Any:
    """`statement` doing nothing unless `condition` holds. An insert from a select must
    select columns named as the table's (as `rows_insert` does)."""
    if isinstance(statement, sa.Insert) and statement.select is not None:
        rows = statement.select.where(condition)
        return sa.insert(statement.table).from_select(list(rows.selected_columns.keys()), rows)
    if isinstance(statement, sa.Insert):
        values = statement.compile().params
        table = statement.table
        row = sa.select(*[sa.literal(v, table.c[k].type) for k, v in values.items()])
        return sa.insert(table).from_select(list(values), row.where(condition))
    if isinstance(statement, sa.Update | sa.Delete):
        return statement.where(condition)
    raise TypeError(f"cannot make {type(statement).__name__} conditional")


def _reader(statement: sa.ClauseElement) -> RowReader | None:
    """How a row of `statement`'s answer is read, or None if it has no result columns."""
    if isinstance(statement, sa.Select):
        columns = list(statement.selected_columns)
    elif isinstance(statement, TextClause | CTE):
        columns = []
    else:
        columns = list(getattr(statement, "_returning", ()))
    if not columns:
        return None
    convert = tuple(_converter(column.type) for column in columns)

    def read(raw: list[Any]) -> Row:
        return tuple(
            None if value is None else to(value) for value, to in zip(raw, convert, strict=True)
        )

    return read


def _converter(type_: sa.types.TypeEngine[Any]) -> Callable[[Any], Any]:
    """A JSON value from the binding, never null, as SQLAlchemy would have returned it."""
    if isinstance(type_, sa.TypeDecorator):
        inner = _converter(type_.impl_instance)
        return lambda value: type_.process_result_value(inner(value), DIALECT)
    if isinstance(type_, sa.DateTime):
        return datetime.fromisoformat
    if isinstance(type_, sa.Date):
        return date.fromisoformat
    if isinstance(type_, sa.JSON):
        return lambda value: orjson.loads(value) if isinstance(value, str) else value
    if isinstance(type_, sa.Integer):
        return int
    return _as_is


def _as_is(value: Any) -> Any:
    return value
