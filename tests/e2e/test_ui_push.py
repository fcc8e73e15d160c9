"""The installable app: every page links the web app manifest (its icons served as the PNGs it
names), the service worker installs at the site's root and becomes active, and the settings
page's "Turn on push on this device" says why not where the browser allows no notifications or
has no push service (headless Chromium has none), and adds the subscription a browser with one
gives, once. A push delivered to the service worker (as the browser's push service would,
through DevTools) shows the reminder with its Done and Snooze buttons, and Done completes the
task. When the browser replaces its subscription, the service worker puts the new one in the
old one's place."""

import json
import re
import struct
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.browser import ContextMaker
from tests.e2e.conftest import Product
from tests.support.accounts import bearer, log_in, make_token, make_user
from tests.support.tasks import create_task, eventually, poll, unique
from tests.support.webhooks import WebhookReceiver
from tests.support.webpush import new_subscription

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_every_page_links_the_manifest_and_its_icons_are_served(
    contexts: ContextMaker, product: Product
) -> None:
    page = contexts(None).new_page()
    page.goto(f"{product.base_url}/login")
    expect(page.locator('link[rel="manifest"]')).to_have_attribute("href", "/manifest.json")
    manifest = httpx.get(f"{product.base_url}/manifest.json", timeout=10)
    assert manifest.status_code == 200
    described = manifest.json()
    assert described["display"] == "standalone" and described["start_url"] == "/"
    sizes = set()
    for icon in described["icons"]:
        image = httpx.get(f"{product.base_url}{icon['src']}", timeout=10).content
        assert image.startswith(PNG_SIGNATURE), icon
        width, height = struct.unpack(">II", image[16:24])
        assert icon["sizes"] == f"{width}x{height}"
        sizes.add(width)
    assert sizes == {192, 512}


def test_the_service_worker_is_active_and_push_says_why_it_cannot_start(
    contexts: ContextMaker, product: Product, api: httpx.Client
) -> None:
    context = contexts(make_user(api, unique("pwa")))
    page = context.new_page()
    page.goto(f"{product.base_url}/settings")
    expect(page.locator('link[rel="manifest"]')).to_have_attribute("href", "/manifest.json")
    ready = page.evaluate("navigator.serviceWorker.ready.then(r => [r.scope, r.active.scriptURL])")
    assert ready == [f"{product.base_url}/", f"{product.base_url}/sw.js"]

    panel = page.get_by_role("region", name="Notifications")
    turn_on = panel.get_by_role("button", name="Turn on push on this device")
    turn_on.click()
    expect(panel.get_by_role("alert")).to_contain_text("Notifications are blocked for this site")

    context.grant_permissions(["notifications"], origin=product.base_url)
    turn_on.click()
    expect(panel.get_by_role("alert")).to_contain_text("This browser has no push service")
    expect(panel.get_by_text("No channels yet.")).to_be_visible()


def test_the_subscription_the_browser_gives_is_added_once(
    contexts: ContextMaker, product: Product, api: httpx.Client
) -> None:
    page = contexts(make_user(api, unique("subscribed"))).new_page()
    page.goto(f"{product.base_url}/settings")
    # A browser with a push service: its subscription, as PushSubscription.toJSON() gives it.
    subscription = new_subscription(f"https://push.example.net/send/{unique('s')}")
    given = {"endpoint": subscription.endpoint, "keys": subscription.keys()}
    page.evaluate(
        "given => { window.taskflowPush.subscribe = async () => ({subscription: given}); }",
        given,
    )
    panel = page.get_by_role("region", name="Notifications")
    turn_on = panel.get_by_role("button", name="Turn on push on this device")
    turn_on.click()
    # Named by its push service: the rest of the endpoint is an opaque token.
    row = panel.get_by_role("row", name="a browser, through push.example.net")
    expect(row).to_contain_text("Web Push")
    expect(row).not_to_contain_text(subscription.endpoint)
    expect(page.get_by_text("Push is on: reminders reach this device")).to_be_visible()

    turn_on.click()
    expect(page.get_by_text("Push is on for this device already")).to_be_visible()
    expect(panel.get_by_role("row", name=re.compile("push.example.net"))).to_have_count(1)
    expect(panel.get_by_role("alert")).to_have_count(0)


def test_a_pushed_reminder_is_shown_and_its_done_button_completes_the_task(
    contexts: ContextMaker, product: Product, api: httpx.Client, receiver: WebhookReceiver
) -> None:
    credentials = make_user(api, unique("pushed"))
    context = contexts(credentials)
    context.grant_permissions(["notifications"], origin=product.base_url)
    page = context.new_page()
    page.goto(f"{product.base_url}/settings")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    # The reminder's links, as the notifier makes them: from a webhook of the same user.
    path = f"/{unique('links')}"
    with httpx.Client(base_url=product.base_url, timeout=10) as person:
        assert log_in(person, credentials).status_code == 200
        person.headers.update(bearer(make_token(person)))
        person.cookies.clear()
        hook = person.post("/api/channels", json={"type": "webhook", "target": receiver.url(path)})
        assert hook.status_code == 201, hook.text
        receiver.secrets[path] = hook.json()["secret"]
        task = create_task(person, due_date="2020-01-01T09:00:00Z", reminder_offset="0 minutes")
        [posted] = eventually(
            lambda: [hook for hook in list(receiver.received) if hook.path == path], timeout=30
        )
        assert posted.body["task"]["id"] == task["id"]

        message = {
            "title": f"Reminder (late): {task['title']}",
            "body": "Due: Wed 1 Jan 2020, 09:00 UTC",
            "task_id": task["id"],
            "actions": posted.body["actions"],
        }
        _deliver_push(context, page, product.base_url, message)
        shown = poll(
            lambda: page.evaluate(
                "navigator.serviceWorker.ready.then(r => r.getNotifications()).then(all => "
                "all.map(n => [n.title, n.body, n.actions.map(a => [a.action, a.title])]))"
            ),
            timeout=10,
        )
        assert shown == [
            [
                message["title"],
                message["body"],
                [["done", "Mark as done"], ["snooze-10m", "Snooze 10 minutes"]],
            ]
        ]

        [worker] = context.service_workers
        status = worker.evaluate(
            "self.registration.getNotifications()"
            ".then(([shown]) => clicked(shown, 'done')).then(answer => answer.status)"
        )
        assert status == 200
        assert person.get(f"/api/tasks/{task['id']}").json()["status"] == "completed"


def test_a_subscription_the_browser_replaced_takes_the_old_ones_place(
    contexts: ContextMaker, product: Product, api: httpx.Client
) -> None:
    credentials = make_user(api, unique("renewed"))
    context = contexts(credentials)
    page = context.new_page()
    page.goto(f"{product.base_url}/settings")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    old = new_subscription(f"https://push.example.net/send/{unique('old')}")
    new = new_subscription(f"https://push.example.net/send/{unique('new')}")
    with httpx.Client(base_url=product.base_url, timeout=10) as person:
        assert log_in(person, credentials).status_code == 200
        made = person.post("/api/channels", json=old.channel())
        assert made.status_code == 201, made.text

        # What the worker does on pushsubscriptionchange, with the browser's two
        # PushSubscriptions (headless Chromium has no push service to replace one).
        [worker] = context.service_workers
        status = worker.evaluate(
            "([old, renewed]) => resubscribed({toJSON: () => old}, {toJSON: () => renewed})"
            ".then(answer => answer.status)",
            [
                {"endpoint": old.endpoint, "keys": old.keys()},
                {"endpoint": new.endpoint, "keys": new.keys()},
            ],
        )
        assert status == 204
        [channel] = person.get("/api/channels").json()
    assert (channel["id"], channel["target"]) == (made.json()["id"], new.endpoint)


def _deliver_push(
    context: BrowserContext, page: Page, origin: str, message: dict[str, Any]
) -> None:
    """Hand the service worker a push of `message`, as the browser does for its push service."""
    devtools = context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    devtools.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda update: registrations.extend(update["registrations"]),
    )
    devtools.send("ServiceWorker.enable")

    def registered() -> list[dict[str, Any]]:
        page.wait_for_timeout(100)  # Playwright hands over DevTools events while it waits
        return [found for found in registrations if found["scopeURL"] == f"{origin}/"]

    registration = eventually(registered, timeout=10)[0]
    devtools.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": origin,
            "registrationId": registration["registrationId"],
            "data": json.dumps(message),
        },
    )
