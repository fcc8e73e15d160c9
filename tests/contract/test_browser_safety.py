"""Browser safety of the served API: CORS only for TASKFLOW_ALLOWED_ORIGINS, cookie writes from
foreign origins refused before any handler, security headers on every answer."""

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.support.api import BASE_URL, AppClient, api_client
from tests.support.tasks import Json

EVIL = "https://evil.example"
ALLOWED = "https://planner.example"
SESSION_COOKIE = "taskflow_session"
CORS_GRANTS = ("access-control-allow-origin", "access-control-allow-credentials")


@pytest.fixture(scope="module")
def client_allowing(database_url: str) -> Iterator[AppClient]:
    """A client of the API served with ALLOWED in TASKFLOW_ALLOWED_ORIGINS."""
    with api_client(database_url, TASKFLOW_ALLOWED_ORIGINS=f" {ALLOWED}/ , ") as session:
        yield session


def _cookie_request(
    client: AppClient, method: str, url: str, headers: dict[str, str], json: Json | None = None
) -> httpx.Response:
    """`method url` authenticated by a session cookie only (plus `headers`): the client's
    Bearer token, if it has one, is left out. The middleware checks that the cookie is
    there, not its value."""
    request = client.build_request(method, url, json=json)
    request.headers.pop("authorization", None)
    request.headers.update({"Cookie": f"{SESSION_COOKIE}=opaque", **headers})
    return client.send(request)


def _grants(response: httpx.Response) -> dict[str, str]:
    return {name: response.headers[name] for name in CORS_GRANTS if name in response.headers}


def test_a_preflight_from_a_foreign_origin_is_granted_nothing(client: AppClient) -> None:
    response = client.options(
        "/api/tasks/1",
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 403
    assert not [name for name in response.headers if name.startswith("access-control-")]


def test_an_answer_to_a_foreign_origin_grants_nothing(client: AppClient) -> None:
    response = client.get("/api/tasks", headers={"Origin": EVIL})
    assert response.status_code != 403
    assert _grants(response) == {}
    assert "Origin" in response.headers["vary"]


def test_a_preflight_from_an_allowed_origin_is_granted(client_allowing: AppClient) -> None:
    response = client_allowing.options(
        "/api/tasks/1",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 204
    assert _grants(response) == {
        "access-control-allow-origin": ALLOWED,
        "access-control-allow-credentials": "true",
    }
    assert "DELETE" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"] == "authorization, content-type"


def test_an_allowed_origin_may_read_answers(client_allowing: AppClient) -> None:
    response = client_allowing.get("/api/tasks", headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert _grants(response) == {
        "access-control-allow-origin": ALLOWED,
        "access-control-allow-credentials": "true",
    }
    assert "X-Total-Count" in response.headers["access-control-expose-headers"]


def test_an_allowed_origin_grants_nothing_to_another(client_allowing: AppClient) -> None:
    preflight = client_allowing.options(
        "/api/tasks", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 403
    assert _grants(preflight) == {}
    assert _grants(client_allowing.get("/api/tasks", headers={"Origin": EVIL})) == {}


def test_a_cookie_write_from_a_foreign_origin_is_refused_before_any_handler(
    client: AppClient,
) -> None:
    title = f"planted {uuid.uuid4().hex}"
    response = _cookie_request(
        client, "POST", "/api/tasks", {"Origin": EVIL}, json={"title": title}
    )
    assert response.status_code == 403
    assert "origin" in response.json()["detail"]
    assert _grants(response) == {}
    assert client.get("/api/tasks", params={"q": title}).json() == []


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_every_unsafe_method_is_checked(client: AppClient, method: str) -> None:
    response = _cookie_request(client, method, "/api/tasks/1", {"Origin": EVIL})
    assert response.status_code == 403


def test_without_an_origin_the_referer_decides(client: AppClient) -> None:
    foreign = _cookie_request(
        client, "DELETE", "/api/tasks/999999999", {"Referer": f"{EVIL}/page?x=1"}
    )
    assert foreign.status_code == 403
    own = _cookie_request(client, "DELETE", "/api/tasks/999999999", {"Referer": f"{BASE_URL}/"})
    assert own.status_code != 403


@pytest.mark.parametrize("origin", ["null", "http://testserver.evil.example", "file://"])
def test_an_origin_that_is_not_the_apps_own_is_foreign(client: AppClient, origin: str) -> None:
    response = _cookie_request(client, "DELETE", "/api/tasks/999999999", {"Origin": origin})
    assert response.status_code == 403


def test_a_cookie_write_from_the_apps_own_origin_passes_through(client: AppClient) -> None:
    """Answered exactly as the same request without any origin, which no browser page sends."""
    anonymous = _cookie_request(client, "DELETE", "/api/tasks/999999999", {})
    own = _cookie_request(client, "DELETE", "/api/tasks/999999999", {"Origin": BASE_URL})
    assert own.status_code == anonymous.status_code != 403
    assert own.json() == anonymous.json()


def test_a_cookie_write_from_an_allowed_origin_passes_through(client_allowing: AppClient) -> None:
    anonymous = _cookie_request(client_allowing, "DELETE", "/api/tasks/999999999", {})
    allowed = _cookie_request(
        client_allowing, "DELETE", "/api/tasks/999999999", {"Origin": ALLOWED}
    )
    assert allowed.status_code == anonymous.status_code != 403


def test_a_bearer_write_from_a_foreign_origin_is_left_to_the_token(client: AppClient) -> None:
    """A page cannot send an Authorization header to another origin without a granted
    preflight, so a Bearer request is not a browser's cross-site forgery."""
    title = f"scripted {uuid.uuid4().hex}"
    bearer = client.headers.get("authorization", "Bearer tf_unchecked")
    response = client.post(
        "/api/tasks",
        json={"title": title},
        headers={"Origin": EVIL, "Authorization": bearer, "Cookie": f"{SESSION_COOKIE}=opaque"},
    )
    assert response.status_code == 201, response.text
    assert _grants(response) == {}


def test_an_empty_bearer_header_does_not_exempt_a_cookie_write(client: AppClient) -> None:
    response = _cookie_request(
        client, "DELETE", "/api/tasks/1", {"Origin": EVIL, "Authorization": "Bearer "}
    )
    assert response.status_code == 403


def test_reads_with_the_cookie_are_not_refused(client: AppClient) -> None:
    response = _cookie_request(client, "GET", "/health", {"Origin": EVIL})
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/health", "/api/tasks", "/api/tasks/999999999", "/nowhere"])
def test_every_answer_carries_the_security_headers(client: AppClient, path: str) -> None:
    headers = client.get(path).headers
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";")[0]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in headers


def test_refusals_carry_the_security_headers_too(client: AppClient) -> None:
    response = _cookie_request(client, "POST", "/api/tasks", {"Origin": EVIL}, json={})
    assert response.headers["x-frame-options"] == "DENY"
    assert "content-security-policy" in response.headers


def test_over_https_browsers_are_told_to_stay_on_https(client: AppClient) -> None:
    headers = client.get("https://testserver/health").headers
    assert headers["strict-transport-security"].startswith("max-age=")
    assert int(headers["strict-transport-security"].removeprefix("max-age=")) >= 180 * 86400


def test_the_api_docs_page_may_load_swagger_ui(client: AppClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in policy
    assert "frame-ancestors 'none'" in policy
