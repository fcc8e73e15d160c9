"""Free-text search of tasks (`q`): which tasks hold the text, and how relevant each is.

Both databases match the same way, the text literally and ignoring case, in the title or in
the description, each through an index: SQLite its FTS5 trigram index (TASK_TEXT), PostgreSQL
its trigram GIN indexes under ILIKE. Both rank a match in the title above one in the
description only: SQLite by bm25 (more occurrences and shorter text rank higher too),
PostgreSQL by whether the title holds the text."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import TableClause

from app.repositories.tables import TASK, TASK_TEXT

# The trigram index finds runs of three characters: shorter text is matched by scanning.
TRIGRAM = 3
# How much more a match in the title counts than one in the description.
TITLE_WEIGHT = 10
RANKED = "ranked_matches"


class text_matches(ColumnElement[bool]):
    """True when the task's title or description holds `text`, ignoring case."""

    inherit_cache = False
    type = sa.Boolean()

    def __init__(self, text: str) -> None:
        self.text = text


class ranked_matches(TableClause):
    """One page of the tasks that hold `text` and meet `conditions` (on TASK), the most
    relevant first and equally relevant ones in `order`, `limit` of them from `offset`: each
    one's `id` and `score` (the higher the more relevant), and `total`, how many match in all.
    Ranking looks at every match, so the same pass counts them; only the page's ids leave it
    (join them to TASK for the rest of each task)."""

    inherit_cache = False

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
        self.text = text
        self.conditions = conditions
        self.order = order
        self.limit = limit
        self.offset = offset


def _scan(text: str) -> sa.ColumnElement[bool]:
    # PostgreSQL: ILIKE, which its trigram indexes serve; SQLite: lower() LIKE lower(), a scan.
    return sa.or_(
        TASK.c.title.icontains(text, autoescape=True),
        TASK.c.description.icontains(text, autoescape=True),
    )


def _indexed(text: str) -> bool:
    return len(text) >= TRIGRAM


def _phrase_matches(text: str) -> sa.ColumnElement[bool]:
    """`task_text MATCH '"<text>"'`: a phrase of trigrams, found only where the text is."""
    phrase = '"' + text.replace('"', '""') + '"'
    return sa.literal_column(TASK_TEXT.name).op("MATCH")(sa.bindparam(None, phrase, sa.String))


@compiles(text_matches)
def _matches_generic(element: text_matches, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(_scan(element.text), **kw)})"


@compiles(text_matches, "sqlite")
def _matches_sqlite(element: text_matches, compiler: Any, **kw: Any) -> str:
    if not _indexed(element.text):
        return _matches_generic(element, compiler, **kw)
    hits = sa.select(TASK_TEXT.c.rowid).where(_phrase_matches(element.text))
    return f"({compiler.process(TASK.c.id.in_(hits), **kw)})"


@compiles(ranked_matches)
def _ranked_generic(element: ranked_matches, compiler: Any, asfrom: bool = False, **kw: Any) -> str:
    if not asfrom:
        return RANKED
    # Whether the title holds the text. A full-text score (ts_rank), or counting occurrences,
    # would work through every matching task's text again: a common word at 100,000 tasks
    # took 0.5 to 1 s instead of about what counting the matches takes. Scored in the scan
    # that finds the matches: no second visit of each through the primary key.
    score = sa.cast(TASK.c.title.icontains(element.text, autoescape=True), sa.Integer)
    return _page(element, compiler, score, _scan(element.text), **kw)


@compiles(ranked_matches, "sqlite")
def _ranked_sqlite(element: ranked_matches, compiler: Any, asfrom: bool = False, **kw: Any) -> str:
    if not asfrom:
        return RANKED
    if not _indexed(element.text):
        return _page(element, compiler, sa.literal(0.0), _scan(element.text), **kw)
    # bm25() is smaller for better matches.
    score = -sa.func.bm25(
        sa.literal_column(TASK_TEXT.name), sa.literal_column(str(TITLE_WEIGHT)), sa.literal(1)
    )
    hits = sa.select(TASK_TEXT.c.rowid.label("id"), score.label("score")).where(
        _phrase_matches(element.text)
    )
    # No limit, but a LIMIT: SQLite then does not flatten the matches into the join, so it
    # finds them first, in one pass over the index, and joins the tasks by id. Flattened, it
    # may walk the owner's tasks and search the index once for each (a thousand times slower).
    found = hits.limit(-1).subquery("text_hits")
    return _page(
        element,
        compiler,
        found.c.score,
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
    scored = score.label("score")
    page = (
        sa.select(TASK.c.id, scored, sa.func.count().over().label("total"))
        .select_from(source)
        .where(*element.conditions, *matching)
        .order_by(scored.desc(), *element.order)
        .limit(element.limit)
        .offset(element.offset)
    )
    kw.pop("from_linter", None)  # the page is linted on its own
    text: str = compiler.process(page.subquery(RANKED), asfrom=True, **kw)
    return text
