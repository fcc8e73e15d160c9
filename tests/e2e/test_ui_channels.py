"""Notification channels in the settings page: an email channel and a webhook channel added (a
target that is no address refused naming the field, the webhook's signing secret shown once),
a test sent to each and received by the real SMTP server and webhook receiver on loopback, a
refused test showing the server's error, and a channel deleted once confirmed; an ntfy channel
to a topic that needs an access token, which the page takes and never shows."""

import re

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.browser import ContextMaker
from tests.e2e.conftest import Product
from tests.support.accounts import make_user
from tests.support.mail import MailServer
from tests.support.ntfy import NtfyServer
from tests.support.tasks import eventually, unique
from tests.support.webhooks import WebhookReceiver


def add_channel(page: Page, kind: str, target: str) -> None:
    panel = page.get_by_role("region", name="Notifications")
    panel.get_by_role("combobox", name="Type").click()
    page.get_by_role("option", name=kind, exact=True).click()
    panel.get_by_label("Target", exact=True).fill(target)
    panel.get_by_role("button", name="Add channel").click()


def test_channels_are_added_tested_and_deleted_in_the_settings(
    contexts: ContextMaker,
    product: Product,
    api: httpx.Client,
    product_smtp: MailServer,
    receiver: WebhookReceiver,
) -> None:
    page = contexts(make_user(api, unique("notify"))).new_page()
    page.goto(f"{product.base_url}/settings")
    panel = page.get_by_role("region", name="Notifications")
    expect(panel.get_by_text("No channels yet.")).to_be_visible()
    outcome = panel.get_by_role("status", name="Test notification")

    add_channel(page, "Email", "not an address")
    expect(panel.get_by_role("alert")).to_have_text(
        "Target must be an email address, like someone@example.com."
    )
    address = f"{unique('me')}@example.org"
    add_channel(page, "Email", address)
    mail_row = panel.get_by_role("row", name=address)
    expect(mail_row).to_contain_text("Email")
    expect(panel.get_by_role("alert")).to_have_count(0)
    expect(panel.get_by_label("Signing secret")).to_have_count(0)
    expect(panel.get_by_label("Target", exact=True)).to_have_value("")

    panel.get_by_role("button", name=f"Send a test to {address}").click()
    expect(outcome).to_have_text(f"Test sent to {address}.")
    [mail] = eventually(
        lambda: [m for m in list(product_smtp.received) if m["To"] == address], timeout=10
    )
    assert mail["Subject"] == "TaskFlow: a test notification"

    path = f"/{unique('hook')}"
    url = receiver.url(path)
    add_channel(page, "Webhook", url)
    shown = panel.get_by_label("Signing secret")
    expect(shown).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    receiver.secrets[path] = shown.inner_text()
    expect(panel.get_by_role("row", name=url)).to_contain_text("Webhook")
    panel.get_by_role("button", name=f"Send a test to {url}").click()
    expect(outcome).to_have_text(f"Test sent to {url}.")
    [hook] = receiver.wait_for(1)
    assert hook.path == path and hook.verified and hook.body["event"] == "channel.test"

    page.reload()
    expect(panel.get_by_role("row", name=url)).to_be_visible()
    expect(panel.get_by_label("Signing secret")).to_have_count(0)
    expect(outcome).to_have_count(0)

    receiver.answers[path] = [503]
    panel.get_by_role("button", name=f"Send a test to {url}").click()
    expect(outcome).to_have_text(f"The test was not sent: webhook {url} answered 503")

    panel.get_by_role("button", name=f"Delete {url}").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(f"Stop notifications to {url}?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(panel.get_by_role("row", name=url)).to_be_visible()

    panel.get_by_role("button", name=f"Delete {url}").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete channel").click()
    expect(panel.get_by_role("row", name=url)).to_have_count(0)
    page.reload()
    expect(panel.get_by_role("row", name=address)).to_be_visible()
    expect(panel.get_by_role("row", name=url)).to_have_count(0)


def test_an_ntfy_channel_takes_an_access_token_it_never_shows(
    contexts: ContextMaker, product: Product, api: httpx.Client, ntfy: NtfyServer
) -> None:
    page = contexts(make_user(api, unique("phone"))).new_page()
    page.goto(f"{product.base_url}/settings")
    panel = page.get_by_role("region", name="Notifications")
    topic = unique("topic")
    ntfy.tokens[topic] = "tk_" + "p4" * 14 + "x"
    panel.get_by_role("combobox", name="Type").click()
    page.get_by_role("option", name="ntfy", exact=True).click()
    panel.get_by_label("Target", exact=True).fill(ntfy.topic_url(topic))
    panel.get_by_label("Access token (if the topic needs one)").fill(ntfy.tokens[topic])
    panel.get_by_role("button", name="Add channel").click()

    url = ntfy.topic_url(topic)
    expect(panel.get_by_role("row", name=url)).to_contain_text("ntfy")
    expect(panel.get_by_label("Signing secret")).to_have_count(0)
    assert ntfy.tokens[topic] not in page.content()
    panel.get_by_role("button", name=f"Send a test to {url}").click()
    expect(panel.get_by_role("status", name="Test notification")).to_have_text(
        f"Test sent to {url}."
    )
    [message] = ntfy.poll(topic)
    assert message["title"] == "TaskFlow: a test notification"
