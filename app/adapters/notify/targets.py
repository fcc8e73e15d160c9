"""Where webhooks and ntfy servers may be posted to: hosts on the public internet only, unless
the install allows private ones (TASKFLOW_NOTIFY_ALLOW_PRIVATE, for receivers on the server's
own network).

A host name is resolved once per request and the request goes to the address that was checked,
so a name that answers differently the next time (DNS rebinding) cannot lead inside. Posts to
one origin share a client, whose connections are kept for the next post; a connection is never
shared between origins, so TLS has always checked the name a request is for."""

import asyncio
import ipaddress
import socket
import ssl
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# The addresses a host name resolves to, for a TCP connection to `port`.
Resolver = Callable[[str, int], Awaitable[list[str]]]

DEFAULT_PORTS = {"http": 80, "https": 443}
# Origins whose clients are kept; past this many, the one posted to longest ago is let go.
KEPT_ORIGINS = 64
# Connections open at once to one origin: a burst of reminders waits for one rather than
# flooding a receiver (the courier's own limit on a send keeps the wait bounded).
CONNECTIONS_PER_ORIGIN = 20
# NAT64's well-known prefix (RFC 6052): the IPv4 address is in the last 32 bits.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def is_public(address: Address) -> bool:
    """Whether `address` is on the public internet: not loopback, private (RFC 1918, ULA),
    shared (carrier-grade NAT), link-local (the cloud metadata service at 169.254.169.254
    too), multicast, unspecified, reserved or for documentation. An IPv6 address that carries
    an IPv4 one (IPv4-mapped, 6to4, NAT64) is judged by the IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
        if embedded is not None:
            return is_public(embedded)
        if address.is_site_local:
            return False
    return address.is_global and not (address.is_multicast or address.is_reserved)


async def system_resolver(host: str, port: int) -> list[str]:
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(sockaddr[0]) for *_, sockaddr in found]


class HttpTargets:
    """Checks a webhook's or ntfy topic's URL when its channel is made, and posts through
    checked addresses."""

    def __init__(
        self, allow_private: bool, timeout: float, resolve: Resolver = system_resolver
    ) -> None:
        self._allow_private = allow_private
        self._timeout = timeout
        self._resolve = resolve
        # Made once, on the first post: building a TLS context (loading the CA bundle) costs
        # more CPU than a notification's whole request.
        self._tls: ssl.SSLContext | None = None
        self._clients: OrderedDict[tuple[str, str, int | None], httpx.AsyncClient] = OrderedDict()
        self._retiring: set[asyncio.Task[None]] = set()

    async def check(self, url: str) -> None:
        """Raise ValueError when `url`'s host resolves to an address that is not public. A
        name that does not resolve now passes: it is checked again each time it is posted to."""
        if self._allow_private:
            return
        parts = urlsplit(url)
        try:
            await self.address(parts.hostname or "", parts.port or DEFAULT_PORTS[parts.scheme])
        except OSError:
            return

    async def address(self, host: str, port: int) -> Address:
        """The address to connect to for `host`: ValueError when any address it resolves to
        is not public, OSError when it resolves to none."""
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            async with asyncio.timeout(self._timeout):
                found = await self._resolve(host, port)
            addresses = [ipaddress.ip_address(text) for text in found]
        if not addresses:
            raise OSError(f"{host} resolves to no address")
        for address in addresses:
            if not (self._allow_private or is_public(address)):
                raise ValueError(
                    f"target must be on the public internet: {host} is {address}, a loopback, "
                    "private, link-local or reserved address"
                )
        return addresses[0]

    async def post(self, url: str, **request: Any) -> httpx.Response:
        """POST to `url` (`request` as httpx takes it) through the client of its origin."""
        return await self._client(httpx.URL(url)).post(url, **request)

    def _client(self, url: httpx.URL) -> httpx.AsyncClient:
        origin = (url.scheme, url.host, url.port)
        client = self._clients.pop(origin, None) or httpx.AsyncClient(
            timeout=self._timeout, transport=self._transport()
        )
        self._clients[origin] = client
        if len(self._clients) > KEPT_ORIGINS:
            _, oldest = self._clients.popitem(last=False)
            retiring = asyncio.create_task(self._retire(oldest))
            self._retiring.add(retiring)
            retiring.add_done_callback(self._retiring.discard)
        return client

    async def _retire(self, client: httpx.AsyncClient) -> None:
        """Close `client` once a post still on it has had its time."""
        await asyncio.sleep(self._timeout)
        await client.aclose()

    def _transport(self) -> httpx.AsyncBaseTransport:
        """Straight to the URL's host where private addresses are allowed, else to the
        checked address of the host."""
        if self._tls is None:
            self._tls = httpx.create_ssl_context()
        direct = httpx.AsyncHTTPTransport(
            verify=self._tls,
            limits=httpx.Limits(
                max_connections=CONNECTIONS_PER_ORIGIN,
                max_keepalive_connections=CONNECTIONS_PER_ORIGIN,
            ),
        )
        return direct if self._allow_private else PinnedTransport(self, direct)


class PinnedTransport(httpx.AsyncBaseTransport):
    """Sends each request to the checked address of its URL's host, through `inner`. The Host
    header keeps the name, and TLS checks the server's certificate against the name."""

    def __init__(self, targets: HttpTargets, inner: httpx.AsyncBaseTransport) -> None:
        self._targets = targets
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        try:
            address = await self._targets.address(url.host, url.port or DEFAULT_PORTS[url.scheme])
        except ValueError as refused:
            raise httpx.ConnectError(str(refused), request=request) from None
        except OSError as failed:
            raise httpx.ConnectError(
                f"{url.host} did not resolve: {failed!r}", request=request
            ) from None
        request.url = url.copy_with(host=str(address))
        request.extensions = {**request.extensions, "sni_hostname": url.host}
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
