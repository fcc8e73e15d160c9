"""Quiet hours and digest in the settings page: a bad zone and half a quiet period refused
beside their fields, then the settings saved and shown again after a reload."""

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.browser import ContextMaker
from tests.e2e.conftest import Product
from tests.support.accounts import make_user
from tests.support.tasks import unique


def save(page: Page, **fields: str) -> None:
    panel = page.get_by_role("region", name="Quiet hours and digest")
    for label, value in fields.items():
        panel.get_by_label(label.replace("_", " "), exact=True).fill(value)
    panel.get_by_role("button", name="Save").click()


def test_quiet_hours_and_digest_are_saved_and_shown_again(
    contexts: ContextMaker, product: Product, api: httpx.Client
) -> None:
    page = contexts(make_user(api, unique("quiet"))).new_page()
    page.goto(f"{product.base_url}/settings")
    panel = page.get_by_role("region", name="Quiet hours and digest")
    zone = panel.get_by_label("Time zone", exact=True)
    expect(zone).to_have_value("")

    save(page, Time_zone="Mars/Olympus", Quiet_from="22:00")
    alerts = panel.get_by_role("alert")
    expect(alerts).to_have_count(2)
    expect(alerts.nth(0)).to_contain_text("Unknown time zone 'Mars/Olympus'")
    expect(alerts.nth(1)).to_contain_text("Quiet hours need both a start")

    save(page, Time_zone="Europe/Berlin", Quiet_until="07:00", Daily_digest_at="06:45")
    expect(page.get_by_text("Quiet hours and digest saved")).to_be_visible()
    expect(alerts).to_have_count(0)

    page.reload()
    expect(zone).to_have_value("Europe/Berlin")
    expect(panel.get_by_label("Quiet from", exact=True)).to_have_value("22:00")
    expect(panel.get_by_label("Quiet until", exact=True)).to_have_value("07:00")
    expect(panel.get_by_label("Daily digest at", exact=True)).to_have_value("06:45")
