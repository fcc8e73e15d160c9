"""Two app replicas on the Dapr stack (REPLICAS=2): a tab open on each gets every change and
every reminder's toast, since each replica consumes task-updates in a consumer group of its
own; a reminder is still marked sent once, since the replicas share one group on `reminders`."""

import functools
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, WebSocket, expect, sync_playwright

from app.domain.events import DEAD_LETTERS, REMINDERS, TASK_UPDATES
from tests.e2e.browser import VIEWPORT, Board, launch, sign_in
from tests.support.accounts import bearer
from tests.support.stack import Stack, scaled
from tests.support.tasks import create_task, eventually, poll, unique


@pytest.fixture(scope="module")
def replicas(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    log = tmp_path_factory.mktemp("replicas") / "stack.log"
    with scaled(stack, 2, log) as running:
        yield running


@pytest.fixture(scope="module")
def replicas_browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


def opened_sockets(page: Page) -> list[str]:
    """The addresses of the WebSockets `page` opens from now on, and a line when one closes
    (a tab whose socket closed and opened again may miss what was sent meanwhile)."""
    seen: list[str] = []

    def opened(socket: WebSocket) -> None:
        seen.append(socket.url)
        socket.on("close", lambda closed: seen.append(f"closed at {time.monotonic():.1f}"))

    page.on("websocket", opened)
    return seen


def audited(api: httpx.Client, task_id: int, event_type: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = api.get(
        "/api/audit", params={"task_id": task_id, "event_type": event_type, "limit": 500}
    ).json()
    return entries


def test_the_replicas_share_the_reminders_and_each_has_its_own_live_feed(
    replicas: Stack,
) -> None:
    # Each replica: a group of its own with the whole of task-updates. Its pod name is the
    # name stack.sh gives it: taskflow, taskflow-1.
    for group in ("live-taskflow", "live-taskflow-1"):
        members = poll(functools.partial(replicas.assignments, group), timeout=30)
        assert list(members.values()) == [{TASK_UPDATES}], (group, members)

    # Both in the app's one group, which gets each event of `reminders` to one of them.
    members = poll(
        functools.partial(replicas.assignments, "taskflow"), lambda found: len(found) == 2, 60
    )
    assert len(members) == 2, members
    assert set().union(*members.values()) == {REMINDERS, DEAD_LETTERS}


def test_a_tab_on_each_replica_gets_the_change_and_the_toast_and_a_reminder_is_sent_once(
    replicas: Stack, replicas_browser: Browser
) -> None:
    assert len(replicas.app_urls) == 2
    word = unique("replicas")
    context = replicas_browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    try:
        # One sign-in for both: the session is in the database, the cookie is the host's.
        sign_in(context, replicas.app_urls[0])
        sockets: dict[str, list[str]] = {}
        tabs = []
        for url in replicas.app_urls:
            page = context.new_page()
            sockets[url] = opened_sockets(page)
            tabs.append(Board(page, url).open(f"?q={word}"))
        # Each tab's state lives on the replica that served it.
        for url, opened in sockets.items():
            assert opened and {urlsplit(socket).port for socket in opened} == {urlsplit(url).port}

        # The change, through the second replica's API; the reminder fires about 6 s later.
        due = datetime.now(UTC) + timedelta(minutes=1, seconds=6)
        with httpx.Client(
            base_url=replicas.app_urls[1], headers=bearer(replicas.api_token), timeout=15
        ) as api:
            create_task(api, title=f"Chores {word}")
            bank = create_task(
                api,
                title=f"Call the bank {word}",
                due_date=due.isoformat(),
                reminder_offset="1 minute",
            )
        # How soon is the benchmark's to say (docs/benchmarks.md); on a loaded machine a
        # change can take seconds to go through the outbox, Kafka and both sidecars.
        for tab in tabs:
            expect(tab.row(f"Chores {word}")).to_be_visible(timeout=30_000)
        toasts = [tab.toasts().filter(has_text=f"Reminder: Call the bank {word}") for tab in tabs]
        for url, toast in zip(replicas.app_urls, toasts, strict=True):
            try:
                expect(toast).to_be_visible(timeout=30_000)
            except AssertionError as missed:
                with replicas.client() as api:
                    fired = api.get("/api/reminders", params={"task_id": bank["id"]})
                raise AssertionError(
                    f"no toast on the tab of {url} by {time.monotonic():.1f}; its sockets: "
                    f"{sockets[url]}; the reminder: {fired.text}"
                ) from missed
            expect(toast).to_have_count(1)

        with replicas.client() as api:
            sent = eventually(lambda: audited(api, bank["id"], "reminder.sent"), 30)
            triggered = audited(api, bank["id"], "reminder.triggered")
            assert len(triggered) == 1
            # The trigger once more, as a redelivery would bring it, to whichever replica.
            published = httpx.post(
                f"{replicas.sidecar('taskflow')}/v1.0/publish/pubsub/{REMINDERS}",
                content=json.dumps(triggered[0]["data"]),
                headers={**replicas.dapr_headers("taskflow"), "content-type": "application/json"},
                timeout=10,
            )
            assert published.status_code == 204, published.text
            time.sleep(5)
            assert audited(api, bank["id"], "reminder.sent") == sent
            [reminder] = api.get("/api/reminders", params={"task_id": bank["id"]}).json()
            assert reminder["status"] == "sent"
    finally:
        context.close()
