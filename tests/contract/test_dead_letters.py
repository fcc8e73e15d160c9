"""Contract of /api/dead-letters: an event a handler rejects as malformed is set aside, listed,
and replayed through the outbox.

No request can make the app publish a malformed event, so the tests put one in the outbox
themselves: the server's relay publishes it, and the subscriber sets it aside (it has no
timestamp).
"""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from app.domain.events import TASK_EVENTS, TASK_UPDATES
from app.repositories.tables import OUTBOX
from tests.contract.helpers import MISSING_ID
from tests.support.tasks import Json, eventually

DEAD_LETTER_FIELDS = {"id", "event_id", "topic", "payload", "error", "created_at", "replayed_at"}
WAIT_SECONDS = 20


@pytest.fixture(scope="module")
def database(database_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(database_url)
    yield engine
    engine.dispose()


def put_in_outbox(database: sa.Engine, event: dict[str, Any]) -> None:
    """Store `event` as it is, on both task topics: no write of the app could store it."""
    with database.begin() as connection:
        for topic in (TASK_EVENTS, TASK_UPDATES):
            connection.execute(
                sa.insert(OUTBOX).values(
                    event_id=event["event_id"],
                    topic=topic,
                    payload=event,
                    created_at=datetime.now(UTC),
                    attempts=0,
                )
            )


def malformed_event() -> dict[str, Any]:
    """A task.updated without the timestamp every event carries."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "task.updated",
        "task_id": None,
        "user_id": 1,
    }


def letters_of(client: httpx.Client, event_id: str, **params: Any) -> list[Json]:
    response = client.get("/api/dead-letters", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return [letter for letter in response.json() if letter["event_id"] == event_id]


@pytest.fixture(scope="module")
def rejected(client: httpx.Client, database: sa.Engine) -> dict[str, Any]:
    """A malformed event, once the server has set it aside on both topics it went to."""
    event = malformed_event()
    put_in_outbox(database, event)
    eventually(lambda: len(letters_of(client, event["event_id"])) == 2, WAIT_SECONDS)
    return event


def test_a_rejected_event_is_listed_once_per_topic(
    client: httpx.Client, rejected: dict[str, Any]
) -> None:
    letters = letters_of(client, rejected["event_id"])
    assert {letter["topic"] for letter in letters} == {TASK_EVENTS, TASK_UPDATES}
    for letter in letters:
        assert set(letter) == DEAD_LETTER_FIELDS
        assert letter["payload"] == rejected
        assert "timestamp" in letter["error"]
        assert letter["replayed_at"] is None
        assert datetime.fromisoformat(letter["created_at"]).tzinfo is not None


def test_the_list_pages_newest_first_with_the_total_in_a_header(
    client: httpx.Client, rejected: dict[str, Any]
) -> None:
    everything = client.get("/api/dead-letters", params={"limit": 500})
    total = int(everything.headers["X-Total-Count"])
    assert total >= 2
    ids = [letter["id"] for letter in everything.json()]
    assert ids == sorted(ids, reverse=True)

    page = client.get("/api/dead-letters", params={"limit": 1, "offset": 1})
    assert page.status_code == 200
    assert int(page.headers["X-Total-Count"]) == total
    assert [letter["id"] for letter in page.json()] == ids[1:2]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"offset": -1}, "offset"), ({"replayed": "maybe"}, "replayed")],
)
def test_bad_paging_is_refused_naming_the_field(
    client: httpx.Client, params: dict[str, Any], field: str
) -> None:
    response = client.get("/api/dead-letters", params=params)
    assert response.status_code == 422
    assert field in {str(part) for error in response.json()["detail"] for part in error["loc"]}


def test_a_replayed_event_is_published_again_and_marked(
    client: httpx.Client, rejected: dict[str, Any]
) -> None:
    [letter] = letters_of(client, rejected["event_id"], replayed="false", limit=500)[:1]
    response = client.post(f"/api/dead-letters/{letter['id']}/replay")
    assert response.status_code == 200, response.text
    replayed = response.json()
    assert replayed["id"] == letter["id"]
    assert replayed["replayed_at"] is not None
    assert letter["id"] in [
        item["id"] for item in letters_of(client, rejected["event_id"], replayed="true")
    ]

    # Published again, it is rejected again: a new dead letter for the same event and topic.
    def rejected_again() -> list[Json]:
        return [
            item
            for item in letters_of(client, rejected["event_id"], replayed="false")
            if item["topic"] == letter["topic"] and item["id"] > letter["id"]
        ]

    eventually(rejected_again, WAIT_SECONDS)

    again = client.post(f"/api/dead-letters/{letter['id']}/replay")
    assert again.status_code == 409
    assert str(letter["id"]) in again.json()["detail"]


def test_replaying_an_unknown_dead_letter_is_404(client: httpx.Client) -> None:
    response = client.post(f"/api/dead-letters/{MISSING_ID}/replay")
    assert response.status_code == 404
    assert response.json() == {"detail": f"dead letter {MISSING_ID} not found"}


@pytest.mark.parametrize("bad_id", ["0", str(2**31)])
def test_an_out_of_range_dead_letter_id_is_422(client: httpx.Client, bad_id: str) -> None:
    assert client.post(f"/api/dead-letters/{bad_id}/replay").status_code == 422


def test_a_dead_letter_id_that_is_no_number_matches_no_route(client: httpx.Client) -> None:
    assert client.post("/api/dead-letters/x/replay").status_code == 404


def test_health_counts_the_dead_letters_waiting(
    client: httpx.Client, rejected: dict[str, Any]
) -> None:
    waiting = int(
        client.get("/api/dead-letters", params={"replayed": "false"}).headers["X-Total-Count"]
    )
    assert waiting >= 1
    assert client.get("/health").json()["checks"]["dead_letters"] == str(waiting)


def test_an_event_sent_long_ago_is_still_replayable_after_it_left_the_outbox(
    client: httpx.Client, database: sa.Engine, rejected: dict[str, Any]
) -> None:
    """The sent outbox row of the first delivery may be pruned: replay inserts it anew."""
    event = malformed_event()
    put_in_outbox(database, event)
    letters = eventually(lambda: letters_of(client, event["event_id"], replayed="false"), 20)
    with database.begin() as connection:
        connection.execute(sa.delete(OUTBOX).where(OUTBOX.c.event_id == event["event_id"]))
    response = client.post(f"/api/dead-letters/{letters[0]['id']}/replay")
    assert response.status_code == 200
    eventually(
        lambda: any(
            item["id"] > letters[0]["id"] and item["topic"] == letters[0]["topic"]
            for item in letters_of(client, event["event_id"], replayed="false")
        ),
        WAIT_SECONDS,
    )
