"""A real OpenID provider for the sign-in tests (panva's oidc-provider on loopback, run by
scripts/oidc-provider.sh), and a person using it: an HTTP client that goes through the
provider's own login and consent pages as a browser would. tests/conftest.py loads the
fixture."""

import contextlib
import os
import select
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from tests.support.api import BASE_URL
from tests.support.servers import ROOT, stop

CLIENT_ID = "taskflow-tests"
CLIENT_SECRET = "a client secret only the tests know"
REDIRECT_URI = f"{BASE_URL}/api/auth/oidc/callback"
START_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class OpenIDProvider:
    """The running provider: where it is (its client is CLIENT_ID, CLIENT_SECRET)."""

    issuer: str


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenIDProvider]:
    """The provider, started once for the session and stopped at its end."""
    with running_provider(tmp_path_factory.mktemp("oidc") / "provider.log") as provider:
        yield provider


@contextlib.contextmanager
def running_provider(log_path: Path, redirect_uri: str = REDIRECT_URI) -> Iterator[OpenIDProvider]:
    """The provider, its one client sending browsers back to `redirect_uri`."""
    script = ROOT / "scripts" / "oidc-provider.sh"
    env = {
        **os.environ,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URI": redirect_uri,
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [script, "start"], env=env, stdout=subprocess.PIPE, stderr=log, text=True
        )
    try:
        issuer = _first_line(process, log_path)
        _wait_for_discovery(issuer)
        yield OpenIDProvider(issuer)
    finally:
        stop(process)
        assert process.stdout is not None
        process.stdout.close()


def _first_line(process: subprocess.Popen[str], log_path: Path) -> str:
    """The issuer URL the provider prints once it listens."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT_SECONDS)
    line = process.stdout.readline().strip() if ready else ""
    if not line.startswith("http://127.0.0.1:"):
        raise RuntimeError(f"the OpenID provider did not start:\n{log_path.read_text()}")
    return line


def _wait_for_discovery(issuer: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{issuer} has no discovery document after {START_TIMEOUT_SECONDS} s")


class _Form(HTMLParser):
    """The first form of a page: its action and its fields' values."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action = attributes.get("action", "")
        elif tag == "input" and "name" in attributes:
            self.fields.setdefault(attributes["name"], attributes.get("value", ""))
        elif tag == "a" and "href" in attributes:
            self.links.append(attributes["href"])


def sign_in_at_provider(authorization_url: str, login: str, *, cancel: bool = False) -> str:
    """Go through the provider's pages from `authorization_url` as the person `login`:
    submit its login form (any password: the provider's development pages do not check it)
    and its consent form, or, with `cancel`, leave at the login page. The URL the provider
    then sends the browser back to (the app's callback, with the code or the error)."""
    provider = httpx.URL(authorization_url)
    with httpx.Client(follow_redirects=False, timeout=20) as browser:
        response = browser.get(authorization_url)
        for _ in range(10):
            if response.is_redirect:
                target = httpx.URL(urljoin(str(response.url), response.headers["location"]))
                if target.host != provider.host or target.port != provider.port:
                    return str(target)
                response = browser.get(target)
                continue
            response.raise_for_status()
            page = _Form()
            page.feed(response.text)
            assert page.action is not None, f"no form at {response.url}: {response.text}"
            if cancel:
                abort = next(link for link in page.links if link.endswith("/abort"))
                response = browser.get(urljoin(str(response.url), abort))
                continue
            fields = dict(page.fields)
            if fields.get("prompt") == "login":
                fields |= {"login": login, "password": "any password"}
            response = browser.post(urljoin(str(response.url), page.action), data=fields)
    raise AssertionError(f"the provider never sent the browser back from {authorization_url}")
