"""What the page runs in the browser itself (through rx.call_script) for the session cookie: it
is HttpOnly and set or ended only by the HTTP API, so signing in and out are requests the
browser sends, not the server's Reflex state."""

import json
from typing import Any

# Where Reflex keeps the tab's client token: without it the next page load starts a fresh state,
# so nothing one user's tab loaded outlives their session in it.
_REFLEX_TOKEN_KEY = "token"


def send(method: str, path: str, body: dict[str, Any] | None = None) -> str:
    """A script that sends the request from the page; it resolves to the answer's `status`,
    its `retry_after` header and its `detail` (0 and the error when the request failed)."""
    options: dict[str, Any] = {"method": method, "credentials": "same-origin"}
    if body is not None:
        options["headers"] = {"content-type": "application/json"}
        options["body"] = json.dumps(body)
    return (
        f"fetch({json.dumps(path)}, {json.dumps(options)})"
        ".then(async (answer) => ({status: answer.status,"
        " retry_after: answer.headers.get('retry-after'),"
        " detail: (await answer.json().catch(() => ({}))).detail ?? null}))"
        ".catch((error) => ({status: 0, retry_after: null, detail: String(error)}))"
    )


def start_over(path: str) -> str:
    """A script that loads `path` as a new page with a fresh Reflex state: its WebSocket then
    carries the session cookie the browser holds now."""
    return (
        f"window.sessionStorage.removeItem({json.dumps(_REFLEX_TOKEN_KEY)});"
        f" window.location.assign({json.dumps(path)})"
    )


def send_then_start_over(method: str, path: str, then: str) -> str:
    """A script that sends the request, then (whatever the answer) starts over at `then`."""
    return f"{send(method, path)}.then(() => {{ {start_over(then)} }})"
