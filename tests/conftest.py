"""Fixtures shared by the tiers that need a database or the API, and the markers that select
tiers (`make test-fast` leaves out what is marked postgres or slow)."""

from collections.abc import Iterator

import pytest

from tests.support.databases import TEMPLATES, migrated_database
from tests.support.mail import MailServer, mail_server
from tests.support.ntfy import NtfyServer, ntfy_server
from tests.support.webhooks import WebhookReceiver, webhook_receiver
from tests.support.webpush import PushService, push_service

# The real OpenID provider of the sign-in tests (fixture `oidc_provider`).
pytest_plugins = ["tests.support.oidc"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes a minute or more; left out of make test-fast")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shard",
        metavar="K/N",
        help="run the Kth of N shares of the test modules (dealt in turn by path), so that N "
        "runs side by side run every test once (make test-fast)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    shard = config.getoption("shard")
    if shard is None:
        return
    k, n = (int(part) for part in shard.split("/"))
    if not 1 <= k <= n:
        raise pytest.UsageError(f"--shard {shard}: K must be from 1 to N")
    modules = sorted({item.path for item in items})
    mine = set(modules[k - 1 :: n])
    config.hook.pytest_deselected(items=[item for item in items if item.path not in mine])
    items[:] = [item for item in items if item.path in mine]


@pytest.fixture(scope="session", autouse=True)
def _migrated_templates() -> Iterator[None]:
    """The migrated templates every test database is copied from, removed at the end."""
    yield
    TEMPLATES.drop()


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database of each kind the service runs on."""
    with migrated_database(request.param, tmp_path_factory.mktemp("database")) as url:
        yield url


@pytest.fixture(scope="module")
def smtp() -> Iterator[MailServer]:
    """A real SMTP server on loopback that keeps what it receives."""
    with mail_server() as server:
        yield server


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    """A real HTTP receiver on loopback that checks webhook signatures."""
    with webhook_receiver() as server:
        yield server


@pytest.fixture(scope="module")
def ntfy() -> Iterator[NtfyServer]:
    """An ntfy server on loopback that keeps what is published for its subscribers."""
    with ntfy_server() as server:
        yield server


@pytest.fixture(scope="module")
def push(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushService]:
    """A Web Push service on loopback (TLS: trust it with SSL_CERT_FILE=its trust_path) that
    checks each push's VAPID signature and decrypts it with the subscription's keys."""
    with push_service(tmp_path_factory.mktemp("push")) as service:
        yield service
