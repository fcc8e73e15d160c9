"""The installable app: every page links the web app manifest (its icons served as the PNGs it
names), the service worker installs at the site's root and becomes active, and the settings
page's "Turn on push on this device" says why not where the browser allows no notifications or
has no push service (headless Chromium has none)."""

import struct

import httpx
from playwright.sync_api import expect

from tests.e2e.browser import ContextMaker
from tests.e2e.conftest import Product
from tests.support.accounts import make_user
from tests.support.tasks import unique

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
