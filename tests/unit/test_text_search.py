"""Text search in the repository, on SQLite and PostgreSQL: ranked matches, the owner's only,
and (SQLite) the FTS5 index kept in step with the tasks by the triggers of migration 0005."""

import sqlalchemy as sa

from app.adapters.local.sql import EngineSql
from app.domain.queries import SortField, TaskQuery
from app.repositories.tables import APP_USER, TASK, TASK_TEXT
from app.repositories.tasks import TaskRepository
from app.repositories.text_search import ranked_matches, text_matches
from tests.support.owners import OWNER, STRANGER
from tests.unit.test_repositories import a_task, added


def _indexed(sql: EngineSql, text: str) -> list[int]:
    """The task ids the SQLite text index itself finds for `text`."""
    phrase = '"' + text.replace('"', '""') + '"'
    with sql.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            f"SELECT rowid FROM {TASK_TEXT.name} WHERE {TASK_TEXT.name} MATCH ? ORDER BY rowid",
            (phrase,),
        )
        return [row[0] for row in rows]


def _check_index(sql: EngineSql) -> None:
    """FTS5's own check that its index holds exactly the text of the task table."""
    with sql.engine.begin() as connection:
        connection.exec_driver_sql(
            f"INSERT INTO {TASK_TEXT.name}({TASK_TEXT.name}) VALUES ('integrity-check')"
        )


async def test_matches_come_most_relevant_first_and_only_the_owners(sql: EngineSql) -> None:
    repository = TaskRepository(sql)
    once = await added(repository, title="pay rent", description="the quarterly report is due")
    in_title = await added(repository, title="Quarterly report draft", description="")
    twice = await added(
        repository, title="misc", description="quarterly report: send the quarterly report"
    )
    await repository.add(
        STRANGER, a_task(await repository.next_task_id(), title="quarterly"), None, []
    )

    tasks, total = await repository.page(OWNER, TaskQuery(text="QUARTERLY"))
    # The title's only; equally relevant ones in the default order (due date, id).
    assert [task.id for task in tasks] == [in_title.id, once.id, twice.id]
    tasks, _ = await repository.page(OWNER, TaskQuery(text="Qu"))  # too short for the index
    assert [task.id for task in tasks] == [in_title.id, once.id, twice.id]
    assert total == 3
    tasks, _ = await repository.page(
        OWNER, TaskQuery(text="quarterly", sort_by=SortField.CREATED_AT)
    )
    assert [task.id for task in tasks] == [twice.id, in_title.id, once.id]  # newest first


async def test_the_total_is_counted_only_past_a_full_page(sql: EngineSql) -> None:
    repository = TaskRepository(sql)
    for i in range(3):
        await added(repository, title=f"errand {i}")
    for limit, offset, expected in [(2, 0, 2), (2, 2, 1), (3, 0, 3), (5, 0, 3), (2, 4, 0)]:
        tasks, total = await repository.page(
            OWNER, TaskQuery(text="errand", limit=limit, offset=offset)
        )
        assert (len(tasks), total) == (expected, 3), (limit, offset)


async def test_the_sqlite_index_follows_inserts_updates_and_deletes(
    fresh_sqlite: EngineSql,
) -> None:
    sql = fresh_sqlite
    with sql.engine.begin() as connection:
        connection.execute(
            sa.insert(APP_USER).values(
                id=OWNER,
                username="owner",
                display_name="Owner",
                is_admin=True,
                created_at=sa.func.current_timestamp(),
            )
        )
    repository = TaskRepository(sql)
    task = await added(repository, title="Äpfel kaufen", description="grüne")
    other = await added(repository, title="Birnen", description="reife Äpfel")
    assert _indexed(sql, "äPFEL") == [task.id, other.id]
    _check_index(sql)

    with sql.engine.begin() as connection:
        connection.execute(
            sa.update(TASK).where(TASK.c.id == task.id).values(title="Kirschen", description="")
        )
        connection.execute(sa.update(TASK).where(TASK.c.id == other.id).values(priority="high"))
    assert (_indexed(sql, "äpfel"), _indexed(sql, "kirsch")) == ([other.id], [task.id])
    _check_index(sql)

    await repository.remove(OWNER, other.id, [])
    assert _indexed(sql, "äpfel") == []
    _check_index(sql)

    with sql.engine.begin() as connection:  # the owner's tasks go with the owner
        connection.execute(sa.delete(APP_USER).where(APP_USER.c.id == OWNER))
    assert _indexed(sql, "kirsch") == []
    _check_index(sql)


def test_a_search_is_compiled_once_whatever_its_text_filters_and_page() -> None:
    """Every search of indexed length shares one compiled statement (SQLAlchemy's cache key)
    and carries its text, filters and page as parameters."""

    def ranked(text: str, owner: int, limit: int, offset: int) -> ranked_matches:
        return ranked_matches(text, [TASK.c.owner_id == owner], [TASK.c.id.asc()], limit, offset)

    first = ranked("quarterly", 1, 50, 0)._generate_cache_key()
    other = ranked('50% "off"_', 2, 20, 40)._generate_cache_key()
    short = ranked("qu", 1, 50, 0)._generate_cache_key()
    assert first is not None and other is not None and short is not None
    assert first == other
    phrase = '"50% ""off""_"'
    assert [p.value for p in other.bindparams] == [
        '%50/% "off"/_%',
        phrase,
        f"title : {phrase}",
        2,
        20,
        40,
    ]
    assert short != first  # scanned, not looked up in the index
    assert (
        text_matches("report")._generate_cache_key() == text_matches("draft")._generate_cache_key()
    )


async def test_searches_one_after_another_each_find_their_own(sql: EngineSql) -> None:
    repository = TaskRepository(sql)
    rent = await added(repository, title="pay rent")
    report = await added(repository, title="report_2 100%")
    for text, expected in [
        ("rent", [rent.id]),
        ("REPORT_2", [report.id]),
        ("100%", [report.id]),
        ("nt", [rent.id]),
        ("t_2", [report.id]),
        ("x%", []),
    ]:
        tasks, total = await repository.page(OWNER, TaskQuery(text=text))
        assert ([task.id for task in tasks], total) == (expected, len(expected)), text
