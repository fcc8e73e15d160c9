"""Each user's data is theirs alone, through every route: another user's id answers exactly
like an id nobody has, and nothing of theirs changes; listings, counts, search, the audit
trail, successors, the live feed and the MCP tools are each user's own; a deleted user's data
goes with them.

The isolation rule the random requests are held to: every request Bob sends that names one of
Alice's ids (a task or reminder id in the path or the body, a task id as a filter, her
conversation id, her search marker) gets the same answer, status and body, as the same request
naming an id that exists for nobody (with that id swapped back). Hence only these statuses:
404 for a task or reminder named in the path or body; 422 when the body is invalid, whatever
the id; 200 with an empty page (X-Total-Count 0) for a listing or search filtered by her id or
marker; 200 for a chat message (the assistant says it finds no such task, and her conversation
id starts a new, empty one of his); and 403 for the admins' routes (users, dead letters), as
Bob is no admin. Alice's full state (tasks, reminders, audit trail, conversation) is the same
before and after, and her marker is in no answer Bob gets.
"""

import contextlib
import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from mcp.types import CallToolResult

from app.chat.conversation import Conversation, ConversationStore, HistoryLimits
from app.repositories.tables import AUDIT_LOG, REMINDER, TASK
from app.web import WebApp
from tests.contract.helpers import list_tasks
from tests.support.api import AppClient, Person, mcp_client, sign_in
from tests.support.tasks import Json, create_task, eventually, poll, unique

REQUESTS = 1_000
SEED = 11
# Added to one of Alice's ids: an id of the same kind that exists for nobody.
ELSEWHERE = 1_500_000_000
FAR_FUTURE = "2099-03-04T09:00:00+00:00"
PAGE = {"limit": 500}


@pytest.fixture(scope="module")
def people(client: AppClient) -> Iterator[tuple[Person, Person]]:
    marker = unique("iso")
    alice, bob = sign_in(client, f"alice-{marker}"), sign_in(client, f"bob-{marker}")
    with contextlib.closing(alice.client), contextlib.closing(bob.client):
        yield alice, bob


def web_app_of(client: AppClient) -> WebApp:
    web_app: WebApp = client.app.state.web_app
    return web_app


@dataclass(frozen=True)
class Belongings:
    """What Alice has, by the ids Bob aims at."""

    marker: str
    task_ids: list[int]
    reminder_ids: list[int]
    conversation_id: str


def state(person: Person, conversation_id: str) -> Json:
    """Everything the person has: tasks, reminders, audit trail, one conversation."""
    found: Json = {}
    for name, path in (("tasks", "/api/tasks"), ("reminders", "/api/reminders")):
        response = person.client.get(path, params=PAGE)
        assert response.status_code == 200, response.text
        found[name] = (response.json(), response.headers["X-Total-Count"])
    response = person.client.get("/api/audit", params=PAGE)
    found["audit"] = (response.json(), response.headers["X-Total-Count"])
    store = ConversationStore(web_app_of(person.client).runtime.kv, HistoryLimits())

    async def conversation() -> Conversation:
        return await store.load(person.id, conversation_id)

    found["conversation"] = person.client.run(conversation).model_dump()
    return found


def settled(read: Callable[[], Json]) -> Json:
    """`read` once two reads a second apart agree (the events of the last writes have been
    relayed and audited)."""
    last: list[Json] = [read()]

    def unchanged() -> bool:
        time.sleep(1)
        current = read()
        same = current == last[0]
        last[0] = current
        return same

    assert poll(unchanged, timeout=30, every=0), "still changing after 30 s"
    return last[0]


@pytest.fixture(scope="module")
def alices(people: tuple[Person, Person]) -> Belongings:
    alice, _ = people
    marker = unique("secret")
    plain = create_task(
        alice.client,
        title=f"{marker} pay rent",
        description=f"{marker} bank details",
        due_date=FAR_FUTURE,
        reminder_offset="1 hour",
        tags=["home"],
    )
    extra = alice.client.post(
        "/api/reminders", json={"task_id": plain["id"], "reminder_offset": "1 day"}
    )
    assert extra.status_code == 201, extra.text
    series = create_task(
        alice.client, title=f"{marker} water plants", due_date=FAR_FUTURE, recurrence="daily"
    )
    done = alice.client.post(f"/api/tasks/{series['id']}/complete")
    assert done.status_code == 200, done.text
    successor = eventually(
        lambda: [task for task in list_tasks(alice.client, q=marker)[0] if task["parent_task_id"]],
        timeout=10,
    )[0]
    chat = alice.client.post("/api/chat", json={"message": f"find {marker}"})
    assert chat.status_code == 200, chat.text
    reminders = alice.client.get("/api/reminders", params=PAGE).json()
    return Belongings(
        marker,
        [plain["id"], series["id"], successor["id"]],
        [reminder["id"] for reminder in reminders],
        chat.json()["conversation_id"],
    )


Request = tuple[str, str, Json | None, Json | None]
VALID_UPDATES: list[Json] = [{"title": "taken"}, {"priority": "low"}, {"due_date": None}]
INVALID_UPDATES: list[Json] = [{"priority": "urgent"}, {"title": ""}, {"owner_id": 2}]
CHATS = [
    "show task {}",
    "complete task {}",
    "delete task {}",
    "rename task {} to taken",
    "set task {} to high priority",
    "add tag stolen to task {}",
    "remind me 1 hour before task {}",
]


# A request naming an id (or marker): made once with Alice's, once with one nobody has.
Aimed = Callable[[Any], Request]


def aimed(random_: random.Random, alice: Person, belongings: Belongings) -> tuple[Aimed, Any]:
    """A request of Bob's naming one of Alice's ids (or her marker), and that id."""
    task = random_.choice(belongings.task_ids)
    body = random_.choice(VALID_UPDATES + INVALID_UPDATES)
    priority = random_.choice(["high", "x"])
    tags = random_.choice([["x"], "x"])
    offset = random_.choice(["1 hour", "whenever"])
    message = random_.choice(CHATS)
    options: list[tuple[Aimed, Any]] = [
        (lambda id_: ("GET", f"/api/tasks/{id_}", None, None), task),
        (lambda id_: ("PUT", f"/api/tasks/{id_}", body, None), task),
        (lambda id_: ("DELETE", f"/api/tasks/{id_}", None, None), task),
        (lambda id_: ("POST", f"/api/tasks/{id_}/complete", None, None), task),
        (lambda id_: ("PUT", f"/api/tasks/{id_}/priority", {"priority": priority}, None), task),
        (lambda id_: ("POST", f"/api/tasks/{id_}/tags", {"tags": tags}, None), task),
        (lambda id_: ("DELETE", f"/api/tasks/{id_}/tags", {"tags": ["home"]}, None), task),
        (
            lambda id_: (
                "POST",
                "/api/reminders",
                {"task_id": id_, "reminder_offset": offset},
                None,
            ),
            task,
        ),
        (lambda id_: ("GET", "/api/reminders", None, {"task_id": id_}), task),
        (lambda id_: ("GET", "/api/audit", None, {"task_id": id_}), task),
        (lambda marker: ("GET", "/api/tasks", None, {"q": marker}), belongings.marker),
        (
            lambda marker: ("POST", "/api/tasks/search", {"query": marker}, None),
            belongings.marker,
        ),
        (lambda id_: ("POST", "/api/chat", {"message": message.format(id_)}, None), task),
        (
            lambda cid: (
                "POST",
                "/api/chat",
                {"message": "what was that?", "conversation_id": cid},
                None,
            ),
            belongings.conversation_id,
        ),
        (lambda id_: ("GET", "/api/users", None, None), alice.id),
        (lambda id_: ("DELETE", f"/api/users/{id_}", None, None), alice.id),
        (lambda id_: ("GET", "/api/dead-letters", None, None), alice.id),
        (lambda id_: ("POST", "/api/dead-letters/1/replay", None, None), alice.id),
    ]
    if belongings.reminder_ids:
        reminder = random_.choice(belongings.reminder_ids)
        options.append((lambda id_: ("DELETE", f"/api/reminders/{id_}", None, None), reminder))
    return random_.choice(options)


def nobody_s(ident: Any) -> Any:
    """An id (or marker, or conversation id) of the same kind as `ident` that nobody has."""
    return ident + ELSEWHERE if isinstance(ident, int) else uuid.uuid4().hex


def send(client: httpx.Client, request: Request) -> httpx.Response:
    method, path, body, params = request
    return client.request(method, path, json=body, params=params)


def answer(response: httpx.Response, ident: Any, other: Any) -> tuple[int, str | None, Any]:
    """What a response says, with `other` read as `ident` and a new conversation's id left out."""
    text = response.text.replace(str(other), str(ident))
    body = json.loads(text) if text else None
    if isinstance(body, dict):
        body.pop("conversation_id", None)
    return response.status_code, response.headers.get("X-Total-Count"), body


ANSWERS = {403, 404, 422, 200}
LISTINGS_AND_CHAT = {"/api/reminders", "/api/audit", "/api/tasks", "/api/tasks/search", "/api/chat"}


def test_another_user_s_ids_answer_like_missing_ones_and_change_nothing(
    people: tuple[Person, Person], alices: Belongings
) -> None:
    alice, bob = people
    before = settled(lambda: state(alice, alices.conversation_id))
    random_ = random.Random(SEED)
    seen: dict[int, int] = {}
    for _ in range(REQUESTS):
        make, ident = aimed(random_, alice, alices)
        request, other = make(ident), nobody_s(ident)
        response = send(bob.client, request)
        twin = send(bob.client, make(other))
        assert answer(response, ident, other) == answer(twin, ident, other), (
            request,
            response.text,
            twin.text,
        )
        assert response.status_code in ANSWERS, (request, response.text)
        assert response.status_code != 200 or request[1] in LISTINGS_AND_CHAT, request
        assert alices.marker not in response.text, (request, response.text)
        if response.status_code == 200 and request[1] != "/api/chat":
            assert response.headers.get("X-Total-Count", "0") == "0", request
            assert response.json() in ([], {"results": [], "total_count": 0}), request
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
    assert set(seen) == ANSWERS, seen
    assert settled(lambda: state(alice, alices.conversation_id)) == before


def test_listings_counts_and_search_are_each_user_s_own(
    people: tuple[Person, Person], alices: Belongings
) -> None:
    alice, bob = people
    mine = create_task(bob.client, title=f"{alices.marker} of bob's", tags=["home"])
    for person, expected in ((bob, [mine["id"]]), (alice, alices.task_ids)):
        tasks, total = list_tasks(person.client, q=alices.marker, **PAGE)
        assert sorted(task["id"] for task in tasks) == sorted(expected)
        assert total == len(expected)
        found = person.client.post("/api/tasks/search", json={"query": alices.marker})
        assert found.json()["total_count"] == len(expected)
        everything, count = list_tasks(person.client, **PAGE)
        assert count == len(everything) and set(expected) <= {task["id"] for task in everything}
    assert mine["id"] not in {task["id"] for task in list_tasks(alice.client, **PAGE)[0]}
    assert not set(alices.task_ids) & {task["id"] for task in list_tasks(bob.client, **PAGE)[0]}


def test_a_successor_and_the_audit_trail_are_their_owner_s(
    people: tuple[Person, Person],
) -> None:
    alice, bob = people
    series = create_task(bob.client, title=unique("series"), recurrence="daily")
    assert bob.client.post(f"/api/tasks/{series['id']}/complete").status_code == 200
    successor = eventually(
        lambda: list_tasks(bob.client, q=series["title"], status="pending")[0], timeout=10
    )[0]
    assert successor["parent_task_id"] == series["id"]
    assert alice.client.get(f"/api/tasks/{successor['id']}").status_code == 404

    trail = eventually(
        lambda: bob.client.get("/api/audit", params={"task_id": series["id"]}).json(), timeout=10
    )
    assert {entry["data"]["user_id"] for entry in trail} == {bob.id}
    assert alice.client.get("/api/audit", params={"task_id": series["id"]}).json() == []
    alice_trail = alice.client.get("/api/audit", params=PAGE).json()
    assert {entry["data"]["user_id"] for entry in alice_trail} <= {alice.id}


def test_the_live_feed_hands_each_user_their_own_changes(
    people: tuple[Person, Person],
) -> None:
    alice, bob = people
    feed = web_app_of(bob.client).runtime.live
    start = feed.last_seq
    task = create_task(bob.client)

    async def bob_s() -> list[int | None]:
        return [change.event.task_id for change in await feed.wait(start, 10, bob.id)]

    async def alice_s() -> list[int | None]:
        return [change.event.task_id for change in await feed.wait(start, 0.5, alice.id)]

    assert task["id"] in bob.client.run(bob_s)
    assert alice.client.run(alice_s) == []


def test_mcp_tools_act_for_the_token_s_user(
    people: tuple[Person, Person], alices: Belongings
) -> None:
    _, bob = people
    task_id = alices.task_ids[0]

    async def as_bob() -> list[CallToolResult]:
        async with mcp_client(bob.client) as mcp:
            return [
                await mcp.call_tool("get_task", {"task_id": task_id}),
                await mcp.call_tool("delete_task", {"task_id": task_id}),
                await mcp.call_tool("delete_tasks", {"task_ids": alices.task_ids, "confirm": True}),
                await mcp.call_tool("list_tasks", {"query": alices.marker}),
            ]

    got, deleted, all_deleted, listed = bob.client.run(as_bob)
    assert got.structured_content == {"error": f"task {task_id} not found"}
    assert deleted.structured_content == {"error": f"task {task_id} not found"}
    assert all_deleted.is_error
    assert listed.structured_content is not None
    assert not {task["id"] for task in listed.structured_content["tasks"]} & set(alices.task_ids)


def test_deleting_a_user_deletes_their_tasks_reminders_and_audit(client: AppClient) -> None:
    leaving = sign_in(client, unique("leaving"))
    with contextlib.closing(leaving.client):
        create_task(leaving.client, due_date=FAR_FUTURE, reminder_offset="1 hour")
        assert client.delete(f"/api/users/{leaving.id}").status_code == 204
        assert leaving.client.get("/api/tasks").status_code == 401
    runtime = web_app_of(client).runtime

    async def left_behind() -> list[int]:
        counts = []
        for table in (TASK, REMINDER, AUDIT_LOG):
            owned = sa.select(sa.func.count()).select_from(table)
            rows = await runtime.sql.fetch(owned.where(table.c.owner_id == leaving.id))
            counts.append(int(rows[0][0]))
        return counts

    # Events of the deleted user still on their way are not audited for anyone.
    assert poll(lambda: client.run(left_behind), lambda counts: counts == [0, 0, 0]) == [0, 0, 0]
