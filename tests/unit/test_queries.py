from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.domain.queries import SortField, SortOrder, TaskQuery
from app.repositories.columns import tags_contain
from app.repositories.tables import TASK


def test_default_order_puts_soonest_highest_and_newest_first() -> None:
    assert TaskQuery().effective_order == SortOrder.ASC
    assert TaskQuery(sort_by=SortField.PRIORITY).effective_order == SortOrder.DESC
    assert TaskQuery(sort_by=SortField.CREATED_AT).effective_order == SortOrder.DESC
    assert TaskQuery(sort_by=SortField.TITLE).effective_order == SortOrder.ASC
    assert TaskQuery(sort_by=SortField.PRIORITY, order=SortOrder.ASC).effective_order == "asc"


def test_tag_filter_uses_array_containment_on_postgresql() -> None:
    statement = sa.select(TASK.c.id).where(tags_contain(TASK.c.tags, ["home", "bills"]))
    assert "task.tags @> " in str(statement.compile(dialect=postgresql.dialect()))


def test_tag_filter_needs_every_tag_on_sqlite() -> None:
    engine = sa.create_engine("sqlite://")
    TASK.create(engine)
    now = datetime.now(UTC)
    base = {
        "title": "t",
        "description": "",
        "timezone": "UTC",
        "recurrence": "none",
        "repeat_from": "due",
        "priority": "medium",
        "status": "pending",
        "created_at": now,
        "updated_at": now,
    }
    tags_by_id = {1: ["home", "bills"], 2: ["home"], 3: ["bills", "work", "home"], 4: []}
    with engine.begin() as connection:
        connection.execute(
            sa.insert(TASK), [{**base, "id": i, "tags": tags} for i, tags in tags_by_id.items()]
        )
        statement = (
            sa.select(TASK.c.id)
            .where(tags_contain(TASK.c.tags, ["home", "bills"]))
            .order_by(TASK.c.id)
        )
        assert connection.execute(statement).scalars().all() == [1, 3]
        only_work = sa.select(TASK.c.id).where(tags_contain(TASK.c.tags, ["work"]))
        assert connection.execute(only_work).scalars().all() == [3]
