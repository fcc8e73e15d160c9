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
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import grpc
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


class _Compiled:
    """Statements as sent, compiled, by SQLAlchemy's cache key of the statement asked for (its
    shape, its values apart) and how it is sent, the least recently used dropped first: what
    the engine's own cache does for the embedded runtime. Compiling a page, and making it one
    row, took 1 to 1.6 ms of the app's one event loop."""

    def __init__(self, size: int) -> None:
        self._size = size
        # None: a statement with an IN list, whose length is not in the key, or a value
        # written into the text: compiled for each run, with the list expanded.
        self._by_key: OrderedDict[tuple[Any, ...], SQLCompiler | None] = OrderedDict()

    def of(
        self, statement: sa.ClauseElement, one_row: bool
    ) -> tuple[SQLCompiler, Mapping[str, Any]]:
        """`statement` compiled as sent (`in_one_row` if `one_row`), and its parameters."""
        cache_key = statement._generate_cache_key()
        if cache_key is None:
            return _expanded(statement, one_row)
        key = (cache_key.key, one_row)
        if key in self._by_key:
            self._by_key.move_to_end(key)
            compiled = self._by_key[key]
        else:
            # Compiled with the key of the statement asked for: its parameters, which the sent
            # form holds, take the values of whichever statement of that key comes later.
            compiled = _compile(_sent(statement, one_row), expand=False, cache_key=cache_key)
            if compiled.post_compile_params or compiled.literal_execute_params:
                compiled = None
            self._by_key[key] = compiled
            if len(self._by_key) > self._size:
                self._by_key.popitem(last=False)
        if compiled is None:
            return _expanded(statement, one_row)
        return compiled, compiled.construct_params(extracted_parameters=cache_key.bindparams)


def _sent(statement: sa.ClauseElement, one_row: bool) -> sa.ClauseElement:
    return in_one_row(statement) if one_row else statement


def _expanded(statement: sa.ClauseElement, one_row: bool) -> tuple[SQLCompiler, Mapping[str, Any]]:
    compiled = _compile(_sent(statement, one_row), expand=True)
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


def compile_for_binding(statement: Executable, one_row: bool) -> tuple[str, list[str | None]]:
    """PostgreSQL text with $n placeholders, and the parameters as text in that order: of
    `statement`, or of `in_one_row(statement)` if `one_row`."""
    assert isinstance(statement, sa.ClauseElement)
    compiled, params = COMPILED.of(statement, one_row)
    values: list[str | None] = []
    for name in compiled.positiontup or []:
        bind = compiled.binds[name if name in compiled.binds else name.rsplit("_", 1)[0]]
        value = params[name]
        if isinstance(bind.type.dialect_impl(DIALECT), sa.JSON):
            values.append(None if value is None else json.dumps(value))
            continue
        process = bind.type._cached_bind_processor(DIALECT)
        values.append(_as_text(process(value) if process else value))
    return compiled.string, values


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
        columns = _result_columns(statement)
        operation = "query" if columns else "exec"
        sql, params = compile_for_binding(statement, one_row=bool(columns))
        try:
            response = await self._sidecar.calls.invoke_binding(
                self._binding,
                operation,
                binding_metadata={"sql": sql, "params": json.dumps(params)},
            )
        except grpc.RpcError as error:
            raise StoreUnavailable(f"the database binding failed: {error}") from error
        return rows_from_answer(response.data, columns) if columns else []


def in_one_row(statement: sa.ClauseElement) -> sa.Select[Any]:
    """`statement` (a SELECT, or a write with RETURNING) as one row: its rows as JSON text."""
    result = statement.cte("result")  # type: ignore[attr-defined]
    rows = sa.func.json_agg(sa.func.json_build_array(*result.c))
    return sa.select(sa.func.coalesce(sa.cast(rows, sa.Text), sa.literal_column("'[]'")))


def rows_from_answer(data: bytes | None, columns: Sequence[sa.ColumnElement[Any]]) -> list[Row]:
    """The rows of a statement sent `in_one_row`, from the binding's answer."""
    answer = json.loads(data or b"[]")
    if len(answer) != 1:
        raise StoreUnavailable("the database did not finish the statement")
    [[rows]] = answer
    return [row_from_json(raw, columns) for raw in json.loads(rows)]


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


def _result_columns(statement: Executable) -> list[sa.ColumnElement[Any]]:
    if isinstance(statement, sa.Select):
        return list(statement.selected_columns)
    if isinstance(statement, TextClause | CTE):
        return []
    returning = getattr(statement, "_returning", ())
    return list(returning)


def row_from_json(raw: list[Any], columns: Sequence[sa.ColumnElement[Any]]) -> Row:
    return tuple(_value(value, column.type) for value, column in zip(raw, columns, strict=True))


def _value(value: Any, type_: sa.types.TypeEngine[Any]) -> Any:
    """A JSON value from the binding as SQLAlchemy would have returned it."""
    if value is None:
        return None
    if isinstance(type_, sa.TypeDecorator):
        return type_.process_result_value(_value(value, type_.impl_instance), DIALECT)
    if isinstance(type_, sa.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(type_, sa.Date):
        return date.fromisoformat(value)
    if isinstance(type_, sa.JSON) and isinstance(value, str):
        return json.loads(value)
    if isinstance(type_, sa.Integer):
        return int(value)
    return value
