"""/api/actions/{link}, the done and snooze links of the notifications, as a mail reader's
browser (or a mail scanner) meets them: GET shows a page with one button and changes nothing,
only POST acts, once; an expired, altered or used link answers a clear page, never a 500."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.action_links import LinkAction, new_claims, sign
from app.repositories.action_links import ActionLinkRepository
from app.services.action_links import LINK_PATH
from app.services.reminders import job_name
from app.web import WebApp
from tests.contract.helpers import audit_of, get_task, moment, reminders_of
from tests.support.api import AppClient
from tests.support.tasks import Json, create_task, eventually

HTML = "text/html; charset=utf-8"


def _web_app(client: AppClient) -> WebApp:
    app: WebApp = client.app.state.web_app
    return app


def _owner(client: AppClient) -> int:
    me = client.get("/api/auth/me")
    assert me.status_code == 200, me.text
    return int(me.json()["user"]["id"])


def _links(client: AppClient, task_id: int) -> dict[str, str]:
    """The task's links as a notification carries them: action -> path under the app."""
    runtime = _web_app(client).runtime
    owner = _owner(client)
    made = client.run(lambda: runtime.action_links.links(owner, task_id))
    base = runtime.settings.notify.public_url
    return {link.action: link.url.removeprefix(base) for link in made}


def _task(client: AppClient, **fields: object) -> Json:
    due = datetime.now(UTC) + timedelta(days=2)
    return create_task(client, due_date=due.isoformat(), reminder_offset="1 hour", **fields)


def _state(client: AppClient, task_id: int) -> tuple[str, list[tuple[str, str]]]:
    reminders = reminders_of(client, task_id)
    return get_task(client, task_id)["status"], sorted(
        (r["status"], r["scheduled_at"]) for r in reminders
    )


@pytest.fixture
def anonymous(client: AppClient) -> AppClient:
    """A mail reader's browser: no session, no token (the link is the credential)."""
    return client.signed_out()


def test_the_links_live_under_the_public_url(client: AppClient) -> None:
    task = _task(client)
    links = _links(client, task["id"])
    assert set(links) == {action.value for action in LinkAction}
    assert all(path.startswith(LINK_PATH) for path in links.values())


def test_opening_a_link_shows_a_button_and_changes_nothing(
    client: AppClient, anonymous: AppClient
) -> None:
    task = _task(client, title="Water the <fern>")
    before = _state(client, task["id"])
    for action, path in _links(client, task["id"]).items():
        for _ in range(2):
            page = anonymous.get(path)
            assert page.status_code == 200, page.text
            assert page.headers["content-type"] == HTML
            assert page.headers["cache-control"] == "no-store"
            assert "Water the &lt;fern&gt;" in page.text
            assert re.search(r'<form method="post"><button type="submit">[^<]+</button>', page.text)
            assert "<script" not in page.text, "works without JavaScript, under the CSP"
            assert LinkAction(action).label in page.text
    assert _state(client, task["id"]) == before


def test_done_completes_the_task_once_and_the_audit_trail_says_so(
    client: AppClient, anonymous: AppClient
) -> None:
    task = _task(client)
    done = _links(client, task["id"])["done"]
    answer = anonymous.post(done)
    assert answer.status_code == 200, answer.text
    assert "<h1>Done</h1>" in answer.text and task["title"] in answer.text
    assert get_task(client, task["id"])["status"] == "completed"
    assert reminders_of(client, task["id"], "pending") == []
    eventually(
        lambda: "task.completed" in [e["event_type"] for e in audit_of(client, task["id"])[0]],
        timeout=10,
    )

    for again in (anonymous.post(done), anonymous.get(done)):
        assert again.status_code == 409
        assert "already used" in again.text and again.headers["content-type"] == HTML


def test_a_snooze_moves_the_reminder_once(client: AppClient, anonymous: AppClient) -> None:
    task = _task(client)
    links = _links(client, task["id"])
    before = datetime.now(UTC)
    answer = anonymous.post(links["snooze-1h"])
    after = datetime.now(UTC)
    assert answer.status_code == 200, answer.text
    assert "<h1>Snoozed</h1>" in answer.text
    pending = reminders_of(client, task["id"], "pending")
    assert len(pending) == 2, "the task's own reminder stays"
    hour = timedelta(hours=1)
    [new] = [r for r in pending if before + hour <= moment(r["scheduled_at"]) <= after + hour]
    jobs = _web_app(client).runtime.jobs
    assert jobs is not None
    armed = eventually(lambda: client.run(lambda: jobs.armed_for(job_name(new["id"]))), 10)
    assert armed == moment(new["scheduled_at"]), "its timer is armed for the new time"
    eventually(
        lambda: (
            "reminder.scheduled" in [e["event_type"] for e in audit_of(client, task["id"])[0][:1]]
        ),
        timeout=10,
    )

    state = _state(client, task["id"])
    again = anonymous.post(links["snooze-1h"])
    assert again.status_code == 409 and "already used" in again.text
    assert _state(client, task["id"]) == state
    # Another link of the same notification still works.
    assert anonymous.post(links["snooze-10m"]).status_code == 200
    assert len(reminders_of(client, task["id"], "pending")) == 3


def test_a_recurring_task_done_from_a_link_gets_its_successor(
    client: AppClient, anonymous: AppClient
) -> None:
    task = _task(client, recurrence="daily")
    assert anonymous.post(_links(client, task["id"])["done"]).status_code == 200

    def successor() -> list[Json]:
        found = client.get("/api/tasks", params={"q": task["title"], "status": "pending"})
        return [t for t in found.json() if t["parent_task_id"] == task["id"]]

    eventually(successor, timeout=15)


def _tampered(path: str) -> list[str]:
    token = path.removeprefix(LINK_PATH)
    body, _, mac = token.partition(".")
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    return [
        LINK_PATH + f"{body}.{flipped}",
        LINK_PATH + body,
        LINK_PATH + "not-a-link",
        LINK_PATH + "x" * 5000,
        LINK_PATH + "%C3%A9.%C3%A9",
    ]


def test_an_altered_or_unknown_link_answers_a_page_and_changes_nothing(
    client: AppClient, anonymous: AppClient
) -> None:
    task = _task(client)
    before = _state(client, task["id"])
    for path in _tampered(_links(client, task["id"])["done"]):
        for answer in (anonymous.get(path), anonymous.post(path)):
            assert answer.status_code == 404, (path, answer.status_code, answer.text)
            assert "This link is not valid" in answer.text
            assert answer.headers["content-type"] == HTML
    assert _state(client, task["id"]) == before


def test_an_expired_link_answers_gone_and_changes_nothing(
    client: AppClient, anonymous: AppClient
) -> None:
    """A link this server signed eight days ago."""
    task = _task(client)
    runtime = _web_app(client).runtime
    owner = _owner(client)
    issued = datetime.now(UTC) - timedelta(days=8)
    key = client.run(lambda: ActionLinkRepository(runtime.sql).signing_key(issued))
    path = LINK_PATH + sign(key, new_claims(owner, task["id"], LinkAction.DONE, issued))
    before = _state(client, task["id"])
    for answer in (anonymous.get(path), anonymous.post(path)):
        assert answer.status_code == 410, answer.text
        assert "This link has expired" in answer.text
    assert _state(client, task["id"]) == before


def test_a_link_of_a_deleted_task_answers_not_found(
    client: AppClient, anonymous: AppClient
) -> None:
    task = _task(client)
    done = _links(client, task["id"])["done"]
    assert client.delete(f"/api/tasks/{task['id']}").status_code == 204
    for answer in (anonymous.get(done), anonymous.post(done)):
        assert answer.status_code == 404 and "The task is gone" in answer.text


def test_snoozing_a_completed_task_answers_conflict_and_the_link_stays_good(
    client: AppClient, anonymous: AppClient
) -> None:
    task = _task(client)
    snooze = _links(client, task["id"])["snooze-tomorrow"]
    assert client.post(f"/api/tasks/{task['id']}/complete").status_code == 200
    answer = anonymous.post(snooze)
    assert answer.status_code == 409 and "Nothing to snooze" in answer.text
    assert reminders_of(client, task["id"], "pending") == []
    assert anonymous.get(snooze).status_code == 200


def test_a_link_needs_no_sign_in_and_refuses_a_foreign_origin_with_a_cookie(
    client: AppClient,
) -> None:
    """The browser-safety layer still guards cookie-carrying writes from other sites."""
    task = _task(client)
    done = _links(client, task["id"])["done"]
    with client.signed_out() as browser:
        browser.cookies.set("taskflow_session", "whatever")
        foreign = browser.post(done, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
    assert get_task(client, task["id"])["status"] == "pending"
