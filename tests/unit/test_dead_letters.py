"""Dead letters on a real SQLite database: only malformed events are set aside, once; the
Dapr dead-letter topic is recorded with the topic the event failed on; replay publishes
again through the outbox."""

import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from app.adapters.local.bus import InProcessBus
from app.adapters.local.sql import EngineSql
from app.callbacks import callbacks_router
from app.domain.events import DEAD_LETTERS, REMINDERS, TASK_EVENTS, Event, message
from app.repositories.outbox import outbox_inserts
from app.repositories.tables import DEAD_LETTER, OUTBOX
from app.routing import Handler, Route
from app.services.dead_letters import DeadLetterForwarder, DeadLetterService
from app.services.dispatch import Dispatcher, EventHandler
from app.services.errors import Conflict, MalformedEvent, NotFound
from app.services.outbox import OutboxRelay
from tests.support.delivery import Clock, FlakyBus
from tests.support.events import a_message, an_event

TOKEN = "app-token-for-tests"


@pytest.fixture
def sql(fresh_sqlite: EngineSql) -> EngineSql:
    return fresh_sqlite


@pytest.fixture
def dead_letters(sql: EngineSql) -> DeadLetterService:
    return DeadLetterService(sql, lambda: None, Clock())


async def picky(topic: str, event: Event) -> None:
    """A handler that can use no event it gets."""
    raise MalformedEvent("cannot use it")


async def down(topic: str, event: Event) -> None:
    raise ConnectionError("the database went away")


def only(
    handler: EventHandler, topic: str, event_type: str, dead_letters: DeadLetterService
) -> Dispatcher:
    """A dispatcher with one route: `handler` takes `event_type` on `topic`."""
    route = Route("app", topic, Handler.AUDIT, frozenset({event_type}))
    return Dispatcher([route], {Handler.AUDIT: handler}, dead_letters)


async def test_a_rejected_event_is_set_aside_once_and_delivery_succeeds(
    sql: EngineSql, dead_letters: DeadLetterService
) -> None:
    bus = InProcessBus()
    bus.subscribe(REMINDERS, only(picky, REMINDERS, "reminder.cancelled", dead_letters).deliver)
    event = an_event("reminder.cancelled", task_id=3)
    for statement in outbox_inserts(event):
        await sql.write(statement)
    relay = OutboxRelay(sql, bus)

    assert (await relay.drain()).sent == 1
    await bus.publish(REMINDERS, message(event))  # redelivered: still one dead letter

    letters, total = await dead_letters.page()
    assert total == 1 and await dead_letters.waiting() == 1
    [letter] = letters
    assert (letter.event_id, letter.topic, letter.error) == (
        event.event_id,
        REMINDERS,
        "cannot use it",
    )
    assert letter.payload == message(event)
    assert letter.replayed_at is None
    assert (await relay.backlog()).unsent == 0


async def test_any_other_handler_failure_is_retried_not_set_aside(
    sql: EngineSql, dead_letters: DeadLetterService
) -> None:
    bus = InProcessBus()
    bus.subscribe(TASK_EVENTS, only(down, TASK_EVENTS, "task.deleted", dead_letters).deliver)
    for statement in outbox_inserts(an_event("task.deleted", task_id=8)):
        await sql.write(statement)
    # Only its task-events row: one published after it would clear the failure to look at.
    await sql.write(sa.delete(OUTBOX).where(OUTBOX.c.topic != TASK_EVENTS))
    relay = OutboxRelay(sql, bus)

    assert (await relay.drain()).failed == 1
    assert await dead_letters.waiting() == 0
    assert (await relay.backlog()).unsent == 1
    assert relay.last_failure is not None
    assert relay.last_failure.describe() == (
        "publishing to task-events failed: the database went away"
    )


async def test_replay_publishes_the_event_again_and_marks_it(
    sql: EngineSql, dead_letters: DeadLetterService
) -> None:
    bus = FlakyBus()
    relay = OutboxRelay(sql, bus)
    event = an_event("reminder.cancelled", task_id=5)
    for statement in outbox_inserts(event):
        await sql.write(statement)
    await relay.drain()  # sent once; its outbox row stays until pruned
    await dead_letters.record(REMINDERS, message(event), "no reminder_id")
    [letter], _ = await dead_letters.page()

    replayed = await dead_letters.replay(letter.id)  # type: ignore[arg-type]
    assert replayed.replayed_at == Clock().now
    assert (await relay.drain()).sent == 1
    assert [event_id for _, event_id, _ in bus.accepted] == [event.event_id] * 2
    assert (await dead_letters.page(replayed=False))[1] == 0
    assert (await dead_letters.page(replayed=True))[1] == 1

    with pytest.raises(Conflict, match="replayed at"):
        await dead_letters.replay(letter.id)  # type: ignore[arg-type]
    with pytest.raises(NotFound, match="dead letter 999 not found"):
        await dead_letters.replay(999)

    # Rejected again after the replay: a new dead letter, the replayed one kept.
    assert await dead_letters.record(REMINDERS, message(event), "no reminder_id")
    assert (await dead_letters.page())[1] == 2


async def test_the_relay_is_woken_only_once_the_replayed_letter_is_marked(
    sql: EngineSql,
) -> None:
    """Once woken, the relay may publish the event and a handler reject it at once: that
    rejection must not meet the replayed letter still waiting, or it would be taken for a
    redelivery of it and never listed."""

    def waiting() -> int:
        with sql.engine.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count())
                    .select_from(DEAD_LETTER)
                    .where(DEAD_LETTER.c.replayed_at.is_(None))
                ).scalar_one()
            )

    waiting_when_woken: list[int] = []
    dead_letters = DeadLetterService(sql, lambda: waiting_when_woken.append(waiting()), Clock())
    event = an_event("reminder.cancelled", task_id=5)
    await dead_letters.record(REMINDERS, message(event), "no reminder_id")
    [letter], _ = await dead_letters.page()

    await dead_letters.replay(letter.id)  # type: ignore[arg-type]
    assert waiting_when_woken == [0]
    assert await sql.fetch(sa.select(OUTBOX.c.event_id)) == [(event.event_id,)]


async def test_replay_of_a_pruned_event_puts_it_back_in_the_outbox(
    sql: EngineSql, dead_letters: DeadLetterService
) -> None:
    event = a_message("reminder.scheduled", task_id=6)
    await dead_letters.record(REMINDERS, event, "bad scheduled_at")
    [letter], _ = await dead_letters.page()

    await dead_letters.replay(letter.id)  # type: ignore[arg-type]
    rows = await sql.fetch(sa.select(OUTBOX.c.event_id, OUTBOX.c.topic, OUTBOX.c.sent_at))
    assert rows == [(event["event_id"], REMINDERS, None)]


async def dapr_delivers(app: FastAPI, body: Any, *, token: str = TOKEN) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        return await client.post(
            f"/events/{DEAD_LETTERS}",
            content=body if isinstance(body, bytes) else None,
            json=None if isinstance(body, bytes) else body,
            headers={"dapr-api-token": token},
        )


@pytest.fixture
def dapr_app(dead_letters: DeadLetterService) -> FastAPI:
    app = FastAPI()
    app.include_router(
        callbacks_router(
            TOKEN,
            only(picky, TASK_EVENTS, "task.completed", dead_letters),
            dead_letter_keeper=dead_letters,
        )
    )
    return app


async def test_the_dead_letter_topic_is_recorded_with_the_topic_it_failed_on(
    dapr_app: FastAPI, dead_letters: DeadLetterService
) -> None:
    event = a_message("task.completed", task_id=2)
    # Dapr moves the original CloudEvent unchanged: `topic` is still the one it failed on.
    envelope = {
        "id": str(uuid.uuid4()),
        "specversion": "1.0",
        "type": "com.dapr.event.sent",
        "source": "taskflow",
        "topic": TASK_EVENTS,
        "pubsubname": "pubsub",
        "datacontenttype": "application/json",
        "data": event,
    }
    for _ in range(2):
        response = await dapr_delivers(dapr_app, envelope)
        assert response.status_code == 200
        assert response.json() == {"status": "SUCCESS"}

    [letter], total = await dead_letters.page()
    assert total == 1
    assert (letter.event_id, letter.topic) == (event["event_id"], TASK_EVENTS)
    assert letter.payload == event
    assert TASK_EVENTS in letter.error


async def test_whatever_arrives_on_the_dead_letter_topic_is_kept(
    dapr_app: FastAPI, dead_letters: DeadLetterService
) -> None:
    assert (await dapr_delivers(dapr_app, b"\xffnot json")).status_code == 200
    assert (await dapr_delivers(dapr_app, {"id": "abc", "data": "text"})).status_code == 200
    assert (await dapr_delivers(dapr_app, {}, token="wrong")).status_code == 401

    letters, total = await dead_letters.page()
    assert total == 2
    assert {letter.topic for letter in letters} == {"unknown"}
    with pytest.raises(Conflict, match="no topic"):
        await dead_letters.replay(letters[0].id)  # type: ignore[arg-type]


async def test_an_event_a_handler_rejects_is_set_aside_and_answered_as_done(
    dapr_app: FastAPI, dead_letters: DeadLetterService
) -> None:
    """Answered as done: the sidecar retries only failures, for as long as they last."""
    event = a_message("task.completed", task_id=1)
    transport = httpx.ASGITransport(app=dapr_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        for body in ({"data": event}, {"data": "not an event"}):
            response = await client.post(
                f"/events/{TASK_EVENTS}", json=body, headers={"dapr-api-token": TOKEN}
            )
            assert response.status_code == 200
            assert response.json() == {"status": "SUCCESS"}

    letters, total = await dead_letters.page()
    assert total == 2
    assert {letter.topic for letter in letters} == {TASK_EVENTS}
    rejected, not_an_event = sorted(letter.error for letter in letters)
    assert rejected == "cannot use it"
    assert not_an_event.startswith("not a TaskFlow event: the message: ")


async def test_a_processor_without_a_database_forwards_what_it_rejects_to_the_app(
    dapr_app: FastAPI, dead_letters: DeadLetterService
) -> None:
    """The recurrence processor publishes on the dead-letter topic; the app keeps it."""
    bus = FlakyBus()
    rejected = a_message("task.completed", task_id=3)
    await DeadLetterForwarder(bus).record(TASK_EVENTS, rejected, "no task_data")
    [(topic, _, _)] = bus.accepted
    assert topic == DEAD_LETTERS
    [forwarded] = bus.events
    envelope = {"id": str(uuid.uuid4()), "topic": DEAD_LETTERS, "data": forwarded}
    assert (await dapr_delivers(dapr_app, envelope)).status_code == 200

    [letter], total = await dead_letters.page()
    assert total == 1
    assert (letter.topic, letter.payload, letter.error) == (TASK_EVENTS, rejected, "no task_data")
