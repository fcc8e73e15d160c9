"""Webhooks reach only the public internet unless private addresses are allowed: the addresses
refused (IPv4, IPv6, IPv4 inside IPv6), names resolved (by a resolver the test gives, never
real DNS) when a channel is made and again for every request, each request sent to the very
address that was checked, and a redirect not followed. Connections are kept per origin."""

import asyncio
import re
import socket
from collections.abc import Iterator
from ipaddress import ip_address

import httpx
import pytest

from app.adapters.notify import targets as targets_module
from app.adapters.notify.targets import HttpTargets, PinnedTransport, is_public
from app.adapters.notify.webhook import WebhookPoster
from app.config import NotifySettings
from app.domain.channels import Channel, ChannelType
from app.domain.notifications import TEST_EVENT
from app.ports import DeliveryFailed
from tests.support.delivery import NOTIFIED_AT, a_notification
from tests.support.webhooks import WebhookReceiver

TIMEOUT_SECONDS = 5.0
PUBLIC = "93.184.216.34"
NOTIFICATION = a_notification("A test", event=TEST_EVENT, reminder_id=None, task_id=None)


class Names:
    """A resolver the test sets: each name's answers, in turn (the last one repeats)."""

    def __init__(self, answers: dict[str, list[list[str]]] | None = None) -> None:
        self.answers = {name: list(turns) for name, turns in (answers or {}).items()}
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        turns = self.answers.get(host)
        if not turns:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return turns.pop(0) if len(turns) > 1 else turns[0]


def _guard(names: Names, allow_private: bool = False) -> HttpTargets:
    return HttpTargets(allow_private, TIMEOUT_SECONDS, names)


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        PUBLIC,
        "1.1.1.1",
        "2606:4700:4700::1111",
        "2001:4860:4860::8888",
        "::ffff:8.8.8.8",  # IPv4-mapped
        "2002:808:808::1",  # 6to4 of 8.8.8.8
        "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    ],
)
def test_a_public_address_is_public(address: str) -> None:
    assert is_public(ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "10.255.255.254",
        "172.16.0.1",
        "172.31.255.1",
        "192.168.1.20",
        "169.254.169.254",  # cloud metadata
        "169.254.0.1",
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "255.255.255.255",
        "240.0.0.1",
        "192.0.2.10",  # documentation
        "198.18.0.1",  # benchmarking
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456:789a::1",
        "fec0::1",  # site-local
        "ff02::1",
        "ff0e::1",
        "2001:db8::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",  # IPv4-compatible
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    ],
)
def test_an_address_inside_a_network_is_not_public(address: str) -> None:
    assert not is_public(ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3:8080/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9000/",
        "https://[::ffff:192.168.0.1]/",
        "http://[fd00::5]/",
    ],
)
async def test_an_address_in_the_url_is_judged_without_resolving(url: str) -> None:
    names = Names()
    with pytest.raises(ValueError, match=r"^target must be on the public internet"):
        await _guard(names).check(url)
    assert names.asked == []


async def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    names = Names(
        {
            "hooks.example": [[PUBLIC, "2606:4700::6810:85e5"]],
            "inside.example": [["10.0.0.7"]],
            "mixed.example": [[PUBLIC, "127.0.0.1"]],
            "mapped.example": [["::ffff:169.254.169.254"]],
            "decimal": [["127.0.0.1"]],
        }
    )
    guard = _guard(names)
    await guard.check("https://hooks.example/taskflow")
    assert names.asked == [("hooks.example", 443)]
    for url, says in [
        ("http://inside.example:8080/", "inside.example is 10.0.0.7"),
        ("https://mixed.example/", "mixed.example is 127.0.0.1"),
        ("https://mapped.example/", "mapped.example is ::ffff:"),
        # What the system's resolver makes of 2130706433 (127.0.0.1 as one number).
        ("http://decimal/", "decimal is 127.0.0.1"),
    ]:
        with pytest.raises(ValueError, match=re.escape(says)):
            await guard.check(url)
    assert names.asked[1] == ("inside.example", 8080)


async def test_a_name_that_does_not_resolve_yet_is_left_to_the_sending() -> None:
    names = Names()
    await _guard(names).check("https://later.example/hook")
    assert names.asked == [("later.example", 443)]


async def test_private_addresses_allowed_resolve_nothing() -> None:
    names = Names({"inside.example": [["10.0.0.7"]]})
    guard = _guard(names, allow_private=True)
    for url in ("http://127.0.0.1:9/", "http://[::1]/", "https://inside.example/"):
        await guard.check(url)
    assert names.asked == []


def _pinned(names: Names, seen: list[httpx.Request]) -> httpx.AsyncClient:
    """A client posting through the checked addresses of `names` to a server that records
    what reaches it."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    transport = PinnedTransport(_guard(names), httpx.MockTransport(answer))
    return httpx.AsyncClient(transport=transport)


async def test_a_request_goes_to_the_address_that_was_checked_under_its_name() -> None:
    seen: list[httpx.Request] = []
    names = Names(
        {"hooks.example": [[PUBLIC, "2606:4700::6810:85e5"]], "six.example": [["2001:4860::1"]]}
    )
    async with _pinned(names, seen) as client:
        await client.post("https://hooks.example:8443/in?x=1", content=b"{}")
        await client.post("http://six.example/", content=b"{}")
    first, second = seen
    assert str(first.url) == f"https://{PUBLIC}:8443/in?x=1"
    assert first.headers["Host"] == "hooks.example:8443"
    # TLS names the host, and checks its certificate against the name.
    assert first.extensions["sni_hostname"] == "hooks.example"
    assert str(second.url) == "http://[2001:4860::1]/" and second.headers["Host"] == "six.example"


async def test_a_name_that_resolves_inside_when_sent_to_is_not_connected_to() -> None:
    """DNS rebinding: public when the channel was made, loopback a moment later."""
    seen: list[httpx.Request] = []
    names = Names({"rebound.example": [[PUBLIC], ["127.0.0.1"]]})
    await _guard(names).check("https://rebound.example/hook")
    async with _pinned(names, seen) as client:
        with pytest.raises(httpx.ConnectError, match=r"rebound\.example is 127\.0\.0\.1"):
            await client.post("https://rebound.example/hook", content=b"{}")
        with pytest.raises(httpx.ConnectError, match=r"gone\.example did not resolve"):
            await client.post("https://gone.example/hook", content=b"{}")
    assert seen == []


def _channel(target: str) -> Channel:
    return Channel(
        id=7,
        owner_id=1,
        type=ChannelType.WEBHOOK,
        target=target,
        secret="s" * 64,
        created_at=NOTIFIED_AT,
    )


@pytest.fixture
def hooks(receiver: WebhookReceiver) -> Iterator[WebhookReceiver]:
    receiver.received.clear()
    yield receiver
    receiver.redirects.clear()


async def test_a_webhook_is_not_sent_to_a_name_that_now_resolves_to_loopback(
    hooks: WebhookReceiver,
) -> None:
    port = httpx.URL(hooks.base_url).port
    names = Names({"rebound.example": [["127.0.0.1"]]})
    poster = WebhookPoster(lambda: NOTIFIED_AT, _guard(names))
    with pytest.raises(DeliveryFailed, match=r"rebound\.example is 127\.0\.0\.1"):
        await poster.send(_channel(f"http://rebound.example:{port}/inside"), NOTIFICATION)
    assert hooks.received == []


async def test_a_webhook_is_posted_to_the_address_resolved_under_its_name(
    hooks: WebhookReceiver,
) -> None:
    """Private addresses allowed, a real request through the resolved address."""
    port = httpx.URL(hooks.base_url).port
    names = Names({"receiver.example": [["127.0.0.1"]]})
    guard = _guard(names, allow_private=True)
    async with httpx.AsyncClient(
        transport=PinnedTransport(guard, httpx.AsyncHTTPTransport())
    ) as client:
        response = await client.post(f"http://receiver.example:{port}/pinned", json={"a": 1})
    assert response.status_code == 204
    [received] = hooks.wait_for(1)
    assert received.host == f"receiver.example:{port}" and received.body == {"a": 1}


async def test_a_redirect_from_a_webhook_is_not_followed(hooks: WebhookReceiver) -> None:
    hooks.redirects["/moved"] = hooks.url("/elsewhere")
    poster = WebhookPoster(lambda: NOTIFIED_AT, _guard(Names(), allow_private=True))
    with pytest.raises(DeliveryFailed, match="answered 307"):
        await poster.send(_channel(hooks.url("/moved")), NOTIFICATION)
    assert [hook.path for hook in hooks.received] == ["/moved"]


@pytest.mark.parametrize(
    ("value", "allowed"), [("", False), ("0", False), ("false", False), ("1", True), ("TRUE", True)]
)
def test_private_targets_are_allowed_by_a_setting(
    monkeypatch: pytest.MonkeyPatch, value: str, allowed: bool
) -> None:
    monkeypatch.setenv("TASKFLOW_NOTIFY_ALLOW_PRIVATE", value)
    assert NotifySettings.from_env().allow_private_targets is allowed


def test_a_setting_that_is_no_flag_is_refused_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKFLOW_NOTIFY_ALLOW_PRIVATE", "yes")
    with pytest.raises(ValueError, match="TASKFLOW_NOTIFY_ALLOW_PRIVATE must be 1 or 0"):
        NotifySettings.from_env()


async def test_posts_to_one_origin_share_a_connection_and_other_origins_get_their_own(
    hooks: WebhookReceiver,
) -> None:
    """127.0.0.1 and localhost are one server: each name still has connections of its own, so
    TLS would have checked the name each request goes to."""
    poster = WebhookPoster(lambda: NOTIFIED_AT, _guard(Names(), allow_private=True))
    by_address = hooks.url("/kept")
    by_name = by_address.replace("127.0.0.1", "localhost")
    for target in (by_address, by_address, by_name, by_address, by_name):
        await poster.send(_channel(target), NOTIFICATION)
    received = hooks.wait_for(5)
    peers = [(one.host.split(":")[0], one.peer) for one in received]
    assert {host for host, _ in peers} == {"127.0.0.1", "localhost"}
    assert len({peer for _, peer in peers}) == 2
    for host in ("127.0.0.1", "localhost"):
        assert len({peer for name, peer in peers if name == host}) == 1


async def test_past_the_origins_kept_the_longest_unused_is_closed_after_its_posts_time(
    hooks: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(targets_module, "KEPT_ORIGINS", 1)
    targets = HttpTargets(True, 0.2, Names())
    poster = WebhookPoster(lambda: NOTIFIED_AT, targets)
    first = hooks.url("/first")
    await poster.send(_channel(first), NOTIFICATION)
    await poster.send(_channel(first.replace("127.0.0.1", "localhost")), NOTIFICATION)
    await asyncio.sleep(0.5)  # the first origin's client, let go, is closed by now
    await poster.send(_channel(first), NOTIFICATION)
    one, _, again = hooks.wait_for(3)
    assert one.peer != again.peer
