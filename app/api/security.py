"""Browser safety for the one ASGI app that serves the UI and the API: CORS only for the
configured origins, cookie-authenticated writes and WebSockets refused from foreign origins,
and the security headers (a Content-Security-Policy the Reflex UI works under) on every
response. Pure ASGI, outermost, so it also covers what Reflex itself serves."""

import base64
import hashlib
import math
import time
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings

DOCS_URL = "/api/docs"
SESSION_COOKIE = "taskflow_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A cross-origin client may read these answer headers besides the CORS-safelisted ones.
EXPOSED_HEADERS = "X-Total-Count, Retry-After, WWW-Authenticate"
PREFLIGHT_MAX_AGE_SECONDS = 600
HSTS_SECONDS = 365 * 24 * 3600
# How often the compiled pages are looked at again for changed inline scripts.
PAGES_RECHECK_SECONDS = 2.0

# FastAPI's Swagger UI page is built of code from the jsDelivr CDN and one inline script.
_DOCS_SOURCES = "https://cdn.jsdelivr.net"


def content_security_policy(script_hashes: Iterable[str] = ()) -> str:
    """The policy of the UI and the API. `script_hashes`: the inline scripts of the compiled
    pages ('sha256-...'), which then run without allowing inline script in general."""
    scripts = " ".join(["'self'", "'unsafe-eval'", *sorted(set(script_hashes))])
    return "; ".join(
        [
            "default-src 'self'",
            # Reflex runs what the server sends to the page (toasts, rx.call_script) with eval.
            f"script-src {scripts}",
            # Emotion writes <style> elements and the pages carry style attributes.
            "style-src 'self' 'unsafe-inline'",
            # The event WebSocket and the API, on the page's own origin.
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "frame-ancestors 'none'",
        ]
    )


DOCS_POLICY = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' 'unsafe-inline' {_DOCS_SOURCES}",
        f"style-src 'self' 'unsafe-inline' {_DOCS_SOURCES}",
        "img-src 'self' data: https://fastapi.tiangolo.com",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)


def inline_script_hashes(pages: Iterable[str]) -> frozenset[str]:
    """The CSP hash source of every inline script in the HTML `pages`."""
    finder = _InlineScripts()
    for page in pages:
        finder.feed(page)
        finder.close()
    return frozenset(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in finder.scripts
    )


class PagesPolicy:
    """The policy for the compiled pages under `folder` as they are now, looked at again every
    few seconds: pages compiled anew while the app runs (a second server started from the
    same checkout compiles them again) get their inline scripts' hashes again."""

    def __init__(self, folder: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self._folder = folder
        self._clock = clock
        self._checked = -math.inf
        self._stamp: tuple[tuple[str, int], ...] = ()
        self._policy = content_security_policy()

    def __call__(self) -> str:
        now = self._clock()
        if now - self._checked >= PAGES_RECHECK_SECONDS:
            self._checked = now
            try:
                pages = sorted(self._folder.rglob("*.html"))
                stamp = tuple((str(page), page.stat().st_mtime_ns) for page in pages)
                if stamp != self._stamp:
                    hashes = inline_script_hashes(page.read_text() for page in pages)
                    self._policy, self._stamp = content_security_policy(hashes), stamp
            except OSError:  # a page replaced while being read: the next look takes it
                pass
        return self._policy


class _InlineScripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._current = []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._current is not None:
            self.scripts.append("".join(self._current))
            self._current = None


def origin_of(url: str) -> str | None:
    """The web origin (scheme://host[:port], lower case, no default port) of `url`, or None
    when it has none (not http(s), no host, or "null")."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default_port = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" + (f":{port}" if port not in (None, default_port) else "")


def allowed_origins(configured: Iterable[str]) -> frozenset[str]:
    """The configured origins (TASKFLOW_ALLOWED_ORIGINS), each checked to be only an origin."""
    origins = set()
    for value in configured:
        origin = origin_of(value)
        parts = urlsplit(value)
        beyond = parts.path.strip("/") or parts.query or parts.fragment or parts.username
        if origin is None or beyond:
            raise ValueError(
                "TASKFLOW_ALLOWED_ORIGINS must list origins like https://todo.example.com "
                f"(scheme, host and port only), not {value!r}"
            )
        origins.add(origin)
    return frozenset(origins)


class BrowserSafety:
    """ASGI middleware; see the module's docstring. CORS with credentials is granted to the
    origins of `settings.allowed_origins` only (the app's own origin needs none);
    `policy` gives the Content-Security-Policy of the moment (see PagesPolicy)."""

    def __init__(
        self, app: ASGIApp, settings: Settings, policy: Callable[[], str] = content_security_policy
    ) -> None:
        self.app = app
        self.allowed = allowed_origins(settings.allowed_origins)
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Browsers send cookies with a WebSocket handshake from any page, and no CORS applies.
        origin = Headers(scope=scope).get("origin")
        if origin is not None and not self._trusted(origin, scope):
            await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        cors_origin = origin if origin is not None and origin in self.allowed else None
        send = self._answering(scope, send, cors_origin, vary=origin is not None)
        if origin is not None and _is_preflight(scope, headers):
            await self._preflight(scope, receive, send, headers, cors_origin)
            return
        if _cookie_write(scope, headers):
            source = origin if origin is not None else headers.get("referer")
            if source is not None and not self._trusted(source, scope):
                refusal = JSONResponse(
                    {"detail": "cross-site request refused: its origin is not allowed"},
                    status_code=403,
                )
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, _without_cors(send))

    async def _preflight(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: Headers,
        cors_origin: str | None,
    ) -> None:
        if cors_origin is None:
            await Response("origin not allowed", status_code=403)(scope, receive, send)
            return
        answer = {
            "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
            "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_SECONDS),
        }
        if requested := headers.get("access-control-request-headers"):
            answer["Access-Control-Allow-Headers"] = requested
        await Response(status_code=204, headers=answer)(scope, receive, send)

    def _trusted(self, source: str, scope: Scope) -> bool:
        """Whether `source` (an Origin or a Referer) is the app's own origin or an allowed one."""
        origin = origin_of(source)
        if origin is None:
            return False
        if origin in self.allowed:
            return True
        # The app's own origin, by the Host the browser addressed (a TLS proxy may stand
        # between, so the scheme the app sees says nothing).
        host = Headers(scope=scope).get("host", "")
        return origin_of(f"{urlsplit(origin).scheme}://{host}") == origin

    def _answering(self, scope: Scope, send: Send, cors_origin: str | None, *, vary: bool) -> Send:
        """`send`, with this layer's CORS and security headers on the answer."""
        policy = DOCS_POLICY if scope["path"] == DOCS_URL else self.policy()
        secure = scope.get("scheme") == "https"

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if cors_origin is not None:
                    headers["Access-Control-Allow-Origin"] = cors_origin
                    headers["Access-Control-Allow-Credentials"] = "true"
                    headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
                if vary and "origin" not in headers.get("vary", "").lower():
                    headers.add_vary_header("Origin")
                headers["Content-Security-Policy"] = policy
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
                headers["X-Frame-Options"] = "DENY"
                if secure:
                    headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}"
            await send(message)

        return sending


def _without_cors(send: Send) -> Send:
    """`send`, without the CORS headers an inner layer set (Reflex adds its own)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name in {key for key in headers if key.lower().startswith("access-control-")}:
                del headers[name]
        await send(message)

    return sending


def _is_preflight(scope: Scope, headers: Headers) -> bool:
    return scope["method"] == "OPTIONS" and "access-control-request-method" in headers


def _cookie_write(scope: Scope, headers: Headers) -> bool:
    """An unsafe method authenticated by the session cookie alone (no Bearer token)."""
    if scope["method"] in SAFE_METHODS:
        return False
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return False
    return any(SESSION_COOKIE in cookie_parser(value) for value in headers.getlist("cookie"))
