"""The browser safety layer on its own: origins, the policy's script hashes, the WebSocket
origin check, and CORS headers of inner layers (Reflex adds its own) never getting out."""

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.api.security import (
    PAGES_RECHECK_SECONDS,
    BrowserSafety,
    PagesPolicy,
    allowed_origins,
    content_security_policy,
    inline_script_hashes,
    origin_of,
)
from app.config import Settings

EVIL = "https://evil.example"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://todo.example.com/tasks?x=1", "https://todo.example.com"),
        ("HTTPS://Todo.Example.com:443/", "https://todo.example.com"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ("http://[::1]:8080/a", "http://[::1]:8080"),
        ("null", None),
        ("file:///etc/passwd", None),
        ("https://", None),
        ("http://host:notaport", None),
    ],
)
def test_origin_of_a_url(url: str, origin: str | None) -> None:
    assert origin_of(url) == origin


def test_allowed_origins_are_normalised() -> None:
    assert allowed_origins(["https://A.example:443/", "http://localhost:3000"]) == {
        "https://a.example",
        "http://localhost:3000",
    }


@pytest.mark.parametrize(
    "value", ["*", "https://a.example/app", "https://a.example?x", "ftp://a.example", "a.example"]
)
def test_what_is_not_an_origin_is_refused_at_start_up(value: str) -> None:
    with pytest.raises(ValueError, match="TASKFLOW_ALLOWED_ORIGINS"):
        allowed_origins([value])


def test_the_setting_is_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKFLOW_ALLOWED_ORIGINS", " https://a.example, ,http://b.example:8080 ")
    assert Settings.from_env().allowed_origins == ("https://a.example", "http://b.example:8080")
    monkeypatch.delenv("TASKFLOW_ALLOWED_ORIGINS")
    assert Settings.from_env().allowed_origins == ()


def _sources(policy: str) -> set[str]:
    return set(policy.replace(";", " ").split())


def test_the_policy_follows_pages_compiled_again_while_the_app_runs(tmp_path: Path) -> None:
    now = [0.0]
    page = tmp_path / "index.html"
    page.write_text("<script>one()</script>")
    policy = PagesPolicy(tmp_path, clock=lambda: now[0])
    first = policy()
    assert inline_script_hashes(["<script>one()</script>"]) <= _sources(first)

    (tmp_path / "login").mkdir()
    (tmp_path / "login" / "index.html").write_text("<script>two()</script>")
    now[0] += PAGES_RECHECK_SECONDS / 2
    assert policy() == first  # looked at again only every few seconds
    now[0] += PAGES_RECHECK_SECONDS
    again = policy()
    assert inline_script_hashes(["<script>one()</script>", "<script>two()</script>"]) <= _sources(
        again
    )


def test_inline_scripts_of_every_page_are_hashed_and_external_ones_are_not() -> None:
    pages = [
        '<html><head><script>alert(1)</script><script src="/a.js"></script></head></html>',
        '<body><script type="module">import "/b.js";</script><script>alert(1)</script></body>',
    ]
    hashes = inline_script_hashes(pages)
    assert "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='" in hashes
    assert len(hashes) == 2
    policy = content_security_policy(hashes)
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src "))
    assert script_src.split()[1:3] == ["'self'", "'unsafe-eval'"]
    assert set(script_src.split()[3:]) == hashes


async def _echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("hello")
    await websocket.close()


async def _page(_: object) -> PlainTextResponse:
    return PlainTextResponse("page")


def _served(*, allowed: tuple[str, ...] = ()) -> TestClient:
    """BrowserSafety around an app whose own CORS layer allows everything, as Reflex's may."""
    inner = Starlette(
        routes=[Route("/", _page, methods=["GET", "POST"]), WebSocketRoute("/ws", _echo)]
    )
    inner.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    settings = Settings(
        runtime="local", database_url="sqlite://", timezone="UTC", allowed_origins=allowed
    )
    return TestClient(BrowserSafety(inner, settings))


def test_cors_grants_of_inner_layers_never_get_out() -> None:
    client = _served()
    answer = client.get("/", headers={"Origin": EVIL, "Cookie": "taskflow_session=x"})
    assert answer.status_code == 200
    assert not [name for name in answer.headers if name.startswith("access-control-")]
    preflight = client.options(
        "/", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 403
    assert not [name for name in preflight.headers if name.startswith("access-control-")]


def test_an_allowed_origin_gets_this_layers_grant_only() -> None:
    client = _served(allowed=("https://planner.example",))
    answer = client.get("/", headers={"Origin": "https://planner.example"})
    assert answer.headers["access-control-allow-origin"] == "https://planner.example"
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-methods" not in answer.headers


@pytest.mark.parametrize("origin", [EVIL, "null", "http://testserver.evil.example"])
def test_a_websocket_from_a_foreign_page_is_refused(origin: str) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        _served().websocket_connect("/ws", headers={"Origin": origin}),
    ):
        pass
    assert closed.value.code == 1008


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://testserver", ()),
        ("https://planner.example", ("https://planner.example",)),
        (None, ()),
    ],
)
def test_a_websocket_from_the_apps_own_or_an_allowed_page_connects(
    origin: str | None, allowed: tuple[str, ...]
) -> None:
    headers = {"Origin": origin} if origin else {}
    with _served(allowed=allowed).websocket_connect("/ws", headers=headers) as socket:
        assert socket.receive_text() == "hello"
