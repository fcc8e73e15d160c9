"""Free-text search of tasks (`q`): which tasks hold the text, and how relevant each is.

Both databases match the same way, the text literally and ignoring case, in the title or in
the description, each through an index: SQLite its FTS5 trigram index (TASK_TEXT), PostgreSQL
the trigram GIN indexes of the text it stores folded to lower case (FOLDED), under LIKE. Both
rank the same way too: a task whose title holds the text above one whose description only
does, and equally relevant ones in the order asked for."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.expression import TableClause
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import InternalTraversal, iterate

from app.repositories.tables import FOLDED, TASK, TASK_TEXT

TRIGRAM = 3
ESCAPE = "/"
RANKED = "ranked_matches"


class _HoldsText:
    """`text` as the statement's parameters, made with the element so that SQLAlchemy caches
    the statement compiled and passes each request's text as parameters. Parameters made while
    compiling would keep the element out of the cache: every search compiled again."""

    pattern: BindParameter[str]
    phrase: BindParameter[str]
    title_phrase: BindParameter[str]
    indexed: bool

    def _hold(self, text: str) -> None:
        escaped = (
            text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
        )
        self.pattern = sa.bindparam(None, f"%{escaped}%", sa.String)
        phrase = '"' + text.replace('"', '""') + '"'
        self.phrase = sa.bindparam(None, phrase, sa.String)
        self.title_phrase = sa.bindparam(None, f"{TASK.c.title.name} : {phrase}", sa.String)
        # The trigram index finds runs of three characters: shorter text is matched by scanning.
        self.indexed = len(text) >= TRIGRAM


TEXT_INTERNALS = [
    ("pattern", InternalTraversal.dp_clauseelement),
    ("phrase", InternalTraversal.dp_clauseelement),
    ("title_phrase", InternalTraversal.dp_clauseelement),
    ("indexed", InternalTraversal.dp_boolean),
]

RANKED_INTERNALS = [
    *TEXT_INTERNALS,
    ("conditions", InternalTraversal.dp_clauseelement_list),
    ("order", InternalTraversal.dp_clauseelement_list),
    ("limit", InternalTraversal.dp_clauseelement),
    ("offset", InternalTraversal.dp_clauseelement),
]


class text_matches(_HoldsText, ColumnElement[bool]):
    """True when the task's title or description holds `text`, ignoring case."""

    _traverse_internals = TEXT_INTERNALS
    type = sa.Boolean()

    def __init__(self, text: str) -> None:
        self._hold(text)


class ranked_matches(_HoldsText, TableClause):
    """One page of the tasks that hold `text` and meet `conditions` (on TASK), the most
    relevant first and equally relevant ones in `order`, `limit` of them from `offset`: each
    one's `id` and `score` (the higher the more relevant), and `total`, how many match in all.
    Ranking looks at every match, so the same pass counts them; only the page's ids leave it
    (join them to TASK for the rest of each task)."""

    _traverse_internals = RANKED_INTERNALS

    def __init__(
        self,
        text: str,
        conditions: Sequence[sa.ColumnElement[bool]],
        order: Sequence[sa.ColumnElement[Any]],
        limit: int,
        offset: int,
    ) -> None:
        super().__init__(
            RANKED,
            sa.column("id", sa.Integer),
            sa.column("score", sa.Float),
            sa.column("total", sa.Integer),
        )
        self._hold(text)
        self.conditions = list(conditions)
        self.order = list(order)
        self.limit = sa.bindparam(None, limit, sa.Integer)
        self.offset = sa.bindparam(None, offset, sa.Integer)


def _folded_holds(column: str, element: _HoldsText) -> sa.ColumnElement[bool]:
    """PostgreSQL: the stored lower case of `column` (FOLDED) LIKE lower(text), which its
    trigram index serves; what ILIKE matches, without folding each candidate row again."""
    folded = sa.literal_column(f"{TASK.name}.{FOLDED[column]}", sa.Text)
    return folded.like(sa.func.lower(element.pattern), escape=ESCAPE)


def _folded_scan(element: _HoldsText) -> sa.ColumnElement[bool]:
    return sa.or_(_folded_holds("title", element), _folded_holds("description", element))


def _scanned_holds(column: sa.Column[str], element: _HoldsText) -> sa.ColumnElement[bool]:
    # SQLite: lower() LIKE lower(), a scan, for text too short for its index.
    return column.ilike(element.pattern, escape=ESCAPE)


def _scan(element: _HoldsText) -> sa.ColumnElement[bool]:
    return sa.or_(
        _scanned_holds(TASK.c.title, element), _scanned_holds(TASK.c.description, element)
    )


def _phrase_matches(phrase: BindParameter[str]) -> sa.ColumnElement[bool]:
    """`task_text MATCH '"<text>"'`: a phrase of trigrams, found only where the text is (with
    `title : ` before it, only in the title)."""
    return sa.literal_column(TASK_TEXT.name).op("MATCH")(phrase)


@compiles(text_matches)
def _matches_postgresql(element: text_matches, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(_folded_scan(element), **kw)})"


@compiles(text_matches, "sqlite")
def _matches_sqlite(element: text_matches, compiler: Any, **kw: Any) -> str:
    if not element.indexed:
        return f"({compiler.process(_scan(element), **kw)})"
    hits = sa.select(TASK_TEXT.c.rowid).where(_phrase_matches(element.phrase))
    return f"({compiler.process(TASK.c.id.in_(hits), **kw)})"


@compiles(ranked_matches)
def _ranked_postgresql(
    element: ranked_matches, compiler: Any, asfrom: bool = False, **kw: Any
) -> str:
    if not asfrom:
        return RANKED
    # Whether the title holds the text. A full-text score (ts_rank), or counting occurrences,
    # would work through every matching task's text again: a common word at 100,000 tasks
    # took 0.5 to 1 s instead of about what counting the matches takes. Scored in the scan
    # that finds the matches: no second visit of each through the primary key.
    score = sa.cast(_folded_holds("title", element), sa.Integer)
    return _page(element, compiler, score, _folded_scan(element), **kw)


@compiles(ranked_matches, "sqlite")
def _ranked_sqlite(element: ranked_matches, compiler: Any, asfrom: bool = False, **kw: Any) -> str:
    if not asfrom:
        return RANKED
    if not element.indexed:
        in_title = sa.cast(_scanned_holds(TASK.c.title, element), sa.Integer)
        return _page(element, compiler, in_title, _scan(element), **kw)
    hits = sa.select(TASK_TEXT.c.rowid.label("id")).where(_phrase_matches(element.phrase))
    # No limit, but a LIMIT: SQLite then does not flatten the matches into the join, so it
    # finds them first, in one pass over the index, and joins the tasks by id. Flattened, it
    # may walk the owner's tasks and search the index once for each (a thousand times slower).
    found = hits.limit(-1).subquery("text_hits")
    # The title's matches come from the index too, in one more pass, once for the statement.
    # bm25() scored every match from its text instead: a third of the time of a common word.
    title_hits = sa.select(TASK_TEXT.c.rowid).where(_phrase_matches(element.title_phrase))
    return _page(
        element,
        compiler,
        sa.cast(found.c.id.in_(title_hits), sa.Integer),
        source=TASK.join(found, found.c.id == TASK.c.id),
        **kw,
    )


def _page(
    element: ranked_matches,
    compiler: Any,
    score: sa.ColumnElement[Any],
    *matching: sa.ColumnElement[bool],
    source: sa.FromClause = TASK,
    **kw: Any,
) -> str:
    # The matches are kept once, each with what the page is ordered by, then counted and
    # their page sorted out of them. A window (count(*) OVER ()) carried every match to the
    # sort: a common word cost more (SQLite, 10,000 tasks: 2.7 ms against 2.3; PostgreSQL,
    # 100,000: 19.5 against 18.1), a filtered search with few matches about 0.2 ms less.
    sorted_by = {
        column.key: column
        for key in element.order
        for column in iterate(key)
        if isinstance(column, sa.Column) and column is not TASK.c.id
    }
    matched = (
        sa.select(TASK.c.id, score.label("score"), *sorted_by.values())
        .select_from(source)
        .where(*element.conditions, *matching)
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )
    on_matched = ClauseAdapter(matched)
    page = (
        sa.select(
            matched.c.id,
            matched.c.score,
            sa.select(sa.func.count()).select_from(matched).scalar_subquery().label("total"),
        )
        .order_by(matched.c.score.desc(), *(on_matched.traverse(key) for key in element.order))
        .limit(element.limit)
        .offset(element.offset)
    )
    kw.pop("from_linter", None)  # the page is linted on its own
    text: str = compiler.process(page.subquery(RANKED), asfrom=True, **kw)
    return text
