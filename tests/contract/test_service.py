"""Contract of the health endpoints and the published OpenAPI document."""

import httpx
import pytest

HEALTH_FIELDS = {"status", "runtime", "checks"}


@pytest.mark.parametrize("path", ["/health", "/health/ready"])
def test_health_and_readiness_report_a_working_database(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == HEALTH_FIELDS
    assert body["status"] == "healthy"
    assert body["runtime"] == "local"
    assert body["checks"]["database"] == "ok"


def test_liveness(client: httpx.Client) -> None:
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == HEALTH_FIELDS
    assert body["status"] == "alive"


# Every path and method of DESIGN.md section 4.
CONTRACT = {
    "/api/tasks": {"get", "post"},
    "/api/tasks/{task_id}": {"get", "put", "delete"},
    "/api/tasks/{task_id}/complete": {"post"},
    "/api/tasks/{task_id}/priority": {"put"},
    "/api/tasks/{task_id}/tags": {"post", "delete"},
    "/api/tasks/search": {"post"},
    "/api/reminders": {"get", "post"},
    "/api/reminders/{reminder_id}": {"delete"},
    "/api/audit": {"get"},
    "/api/chat": {"post"},
    "/health": {"get"},
    "/health/live": {"get"},
    "/health/ready": {"get"},
}


@pytest.fixture(scope="module")
def openapi(client: httpx.Client) -> dict[str, dict[str, object]]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths: dict[str, dict[str, object]] = response.json()["paths"]
    return paths


@pytest.mark.parametrize("path", sorted(CONTRACT))
def test_openapi_lists_every_contract_path(
    openapi: dict[str, dict[str, object]], path: str
) -> None:
    assert path in openapi, sorted(openapi)
    assert CONTRACT[path] <= set(openapi[path]), (path, sorted(openapi[path]))


def test_openapi_declares_status_codes_of_created_and_deleted(
    openapi: dict[str, dict[str, object]],
) -> None:
    def codes(path: str, method: str) -> set[str]:
        operation = openapi[path][method]
        assert isinstance(operation, dict)
        return set(operation["responses"])

    assert "201" in codes("/api/tasks", "post")
    assert "201" in codes("/api/reminders", "post")
    assert "204" in codes("/api/tasks/{task_id}", "delete")
    assert "204" in codes("/api/reminders/{reminder_id}", "delete")
