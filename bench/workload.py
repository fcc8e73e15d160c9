"""Seeded tasks: realistic variety, bulk-inserted with SQLAlchemy Core."""

import random
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.adapters.local.sql import create_engine
from app.domain.enums import Priority, Recurrence, RepeatFrom, TaskStatus
from app.domain.recurrence import series_rule
from app.repositories.tables import APP_USER, ID_SEQUENCE, TASK

CHUNK = 5_000


def _vocabulary(text: str) -> tuple[str, ...]:
    return tuple(text.split())


WORDS = _vocabulary(
    "account agenda appointment article backup balance basket battery bedroom bicycle "
    "birthday blanket booking bottle branch budget bundle cabinet calendar camera candle "
    "carpet cellar chapter charger checkup closet coffee column compost contract cottage "
    "coupon cousin dentist deposit design desk dinner doctor document drawer driveway "
    "editor email engine estimate expense fabric feedback fence filter finance folder "
    "forecast freezer friend furnace garage garden gift grocery gutter haircut hallway "
    "hammer harvest heater holiday hosting insurance invoice jacket journal kettle kitchen "
    "ladder laptop laundry lawn lecture ledger letter library license lighting locker "
    "luggage mailbox manual market meeting milestone mirror monitor mortgage notebook "
    "office oven package painting pantry paperwork parcel parking passport payment pension "
    "pharmacy picnic pillow planner plumber podcast portfolio postcard printer proposal "
    "quarter receipt recipe refund register release renewal rental report request "
    "research resume review roadmap router salary sample schedule school scooter sketch "
    "slides speaker spreadsheet statement storage strategy subscription summary supplier "
    "survey sweater syllabus ticket timeline toaster toolbox transfer travel trophy "
    "tutorial umbrella upgrade vacation vendor visa voucher wallet wardrobe warranty "
    "website wedding window workshop yoga"
)
VERBS = _vocabulary(
    "book buy call cancel check clean collect confirm draft email file finish fix "
    "order organize pay plan prepare print renew repair replace return review schedule "
    "send sort update water write"
)
TAGS = _vocabulary(
    "work home personal urgent errands finance health family shopping project reading "
    "travel fitness garden car kids school meetings email calls bills cleaning cooking "
    "music learning writing admin taxes birthday someday"
)
# A few tags are on many tasks, most on few (weights fall off with rank).
TAG_WEIGHTS = [1 / (rank + 1) ** 0.9 for rank in range(len(TAGS))]
COMMON_TAGS = TAGS[:5]
ZONES = ("UTC", "Europe/Berlin", "America/New_York")


def seed(database_url: str, count: int, now: datetime, extra_sql: Sequence[str] = ()) -> float:
    """Insert tasks 1..count into a migrated, empty database, then run `extra_sql` (say, an
    index to try before writing its migration); the seconds it took."""
    started = time.perf_counter()
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            _insert(connection, task_rows(count, now))
            connection.execute(
                sa.update(ID_SEQUENCE).where(ID_SEQUENCE.c.name == "task").values(value=count)
            )
            for statement in extra_sql:
                connection.exec_driver_sql(statement)
        _analyze(engine)
    finally:
        engine.dispose()
    return time.perf_counter() - started


def seed_beside(
    database_url: str, count: int, now: datetime, owner: int | None = None
) -> tuple[range, float]:
    """Insert the same `count` tasks as `seed` into a database in use (the stack's), under
    ids reserved from its id sequence first, so the app's own inserts never collide with
    them, owned by `owner` (a user who exists already); the ids taken (for `unseed`) and the
    seconds it took."""
    started = time.perf_counter()
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:  # the reservation commits at once
            last = connection.execute(
                sa.update(ID_SEQUENCE)
                .where(ID_SEQUENCE.c.name == "task")
                .values(value=ID_SEQUENCE.c.value + count)
                .returning(ID_SEQUENCE.c.value)
            ).scalar_one()
        ids = range(last - count + 1, last + 1)
        shifted = (
            {**row, "id": ids[0] - 1 + row["id"], "owner_id": owner}
            for row in task_rows(count, now)
        )
        with engine.begin() as connection:
            _insert(connection, shifted)
        _analyze(engine)
    finally:
        engine.dispose()
    return ids, time.perf_counter() - started


def user_id(database_url: str, username: str) -> int:
    """The id of the user called `username`."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                sa.select(APP_USER.c.id).where(APP_USER.c.username == username)
            ).scalar_one()
    finally:
        engine.dispose()
    return int(found)


def settle(database_url: str, attempts: int = 30) -> None:
    """Vacuum the tasks once the served API has given the seeded ones to its first admin: that
    start-up writes a new version of every row, which autovacuum would clean up soon after.
    A vacuum that runs beside a transaction older than that write (autovacuum's own analyze,
    say) leaves the new rows' pages not visible to all, so it runs again until every page is:
    before, a count read most rows from the heap (100,000 tasks: 37 to 46 ms instead of 10)."""
    engine = create_engine(database_url)
    try:
        for _ in range(attempts):
            _analyze(engine)
            if engine.dialect.name != "postgresql" or _all_visible(engine):
                return
            time.sleep(1)
        raise RuntimeError(f"the tasks' pages were not all visible after {attempts} vacuums")
    finally:
        engine.dispose()


def _all_visible(engine: sa.Engine) -> bool:
    with engine.connect() as connection:
        pages, visible = connection.execute(
            sa.text("SELECT relpages, relallvisible FROM pg_class WHERE relname = 'task'")
        ).one()
    return bool(visible >= pages)


def seeded_owner(database_url: str) -> int:
    """Whom the seeded tasks belong to: seeded without an owner, they are given to the first
    admin, whom the served API makes at start-up."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            owner = connection.execute(sa.select(sa.func.min(TASK.c.owner_id))).scalar()
    finally:
        engine.dispose()
    if owner is None:
        raise RuntimeError("the seeded tasks have no owner: was the API served with an admin?")
    return int(owner)


def unseed(database_url: str, ids: range) -> None:
    """Delete what `seed_beside` inserted, and let the planner know."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.delete(TASK).where(TASK.c.id.between(ids[0], ids[-1])))
        _analyze(engine)
    finally:
        engine.dispose()


def _insert(connection: sa.Connection, rows: Iterable[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            connection.execute(sa.insert(TASK), batch)
            batch = []
    if batch:
        connection.execute(sa.insert(TASK), batch)


def _analyze(engine: sa.Engine) -> None:
    if engine.dialect.name == "postgresql":
        # Autovacuum would get here soon after a bulk load; the bench does not wait for it.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE) task")


def task_rows(count: int, now: datetime) -> Iterator[dict[str, Any]]:
    rng = random.Random(20_240_601 + count)
    for task_id in range(1, count + 1):
        yield _task(rng, task_id, now)


def _task(rng: random.Random, task_id: int, now: datetime) -> dict[str, Any]:
    created = now - timedelta(days=rng.uniform(1, 730))
    updated = created + (now - created) * rng.random() ** 3
    due = None if rng.random() < 0.15 else _minute(now + timedelta(days=rng.uniform(-365, 365)))
    zone = rng.choices(ZONES, weights=(6, 2, 2))[0]
    recurrence = rng.choices(
        (Recurrence.NONE, Recurrence.DAILY, Recurrence.WEEKLY, Recurrence.MONTHLY),
        weights=(85, 5, 7, 3),
    )[0]
    anchor = (due or created).astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    # A series' current task is pending: a completed one would have a successor, which these rows
    # do not hold, and the app's reconciliation would add the missing ones under the bench's load.
    completed = rng.random() >= 0.7 and recurrence == Recurrence.NONE
    tag_count = rng.choices(range(5), weights=(15, 30, 30, 15, 10))[0]
    tags = list(dict.fromkeys(rng.choices(TAGS, weights=TAG_WEIGHTS, k=tag_count)))
    return {
        "id": task_id,
        "title": _title(rng),
        "description": "" if rng.random() < 0.1 else _sentence(rng, rng.randint(8, 30)),
        "due_date": due,
        "timezone": zone,
        "recurrence": recurrence,
        "rrule": series_rule(recurrence, None, anchor),
        "repeat_from": RepeatFrom.COMPLETION if rng.random() < 0.2 else RepeatFrom.DUE,
        "priority": rng.choices(list(Priority), weights=(30, 45, 25))[0],
        "tags": tags,
        "status": TaskStatus.COMPLETED if completed else TaskStatus.PENDING,
        "created_at": created,
        "updated_at": updated,
        "completed_at": updated if completed else None,
        "parent_task_id": None,
        "reminder_offset": None,
    }


def _title(rng: random.Random) -> str:
    return f"{rng.choice(VERBS).capitalize()} {_sentence(rng, rng.randint(1, 5))}"


def _sentence(rng: random.Random, length: int) -> str:
    return " ".join(rng.choices(WORDS, k=length))


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def reference_now() -> datetime:
    return _minute(datetime.now(UTC))
