"""Who may use /mcp: an API token's holder, as that user, within its scopes, on the app's own
hosts and origins only; on each database."""

from typing import Any

import httpx
import pytest

from app.chat.mcp_server import READ_ONLY_TOOLS
from tests.support.accounts import READ, bearer, log_in, make_token
from tests.support.api import AppClient, api_client, mcp_client
from tests.support.delivery import Clock
from tests.support.tasks import create_task, unique

LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
MCP_ACCEPT = {"Accept": "application/json, text/event-stream"}


def list_tools(client: httpx.Client, **headers: str) -> httpx.Response:
    """A tools/list request over plain HTTP, as any client could send it."""
    return client.post("/mcp", json=LIST_TOOLS, headers=MCP_ACCEPT | headers)


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert response.json()["error"] == "invalid_token"


def test_a_request_without_a_token_is_refused(client: AppClient) -> None:
    with client.signed_out() as anyone:
        assert_unauthenticated(list_tools(anyone))
        assert_unauthenticated(list_tools(anyone, Authorization="Bearer tf_not-a-token"))
        assert_unauthenticated(list_tools(anyone, Authorization="Basic YWRtaW46YWRtaW4="))
        assert_unauthenticated(
            anyone.post(
                "/mcp",
                json=LIST_TOOLS,
                headers=[
                    (b"Accept", MCP_ACCEPT["Accept"].encode()),
                    (b"Authorization", "Bearer tf_\xe9\xff".encode("latin-1")),
                ],
            )
        )
        assert_unauthenticated(anyone.get("/mcp", headers=MCP_ACCEPT))


def test_a_session_cookie_is_not_enough(client: AppClient) -> None:
    with client.signed_out() as browser:
        assert log_in(browser).status_code == 200
        assert_unauthenticated(list_tools(browser))


def test_a_token_answers(client: AppClient) -> None:
    answered = list_tools(client)

    assert answered.status_code == 200, answered.text
    names = {tool["name"] for tool in answered.json()["result"]["tools"]}
    assert names >= {"add_task", "delete_tasks", *READ_ONLY_TOOLS}


def test_a_revoked_token_is_refused_at_once(admin_api: AppClient) -> None:
    token = make_token(admin_api, name="revoked")
    [made] = [t for t in admin_api.get("/api/tokens").json() if t["name"] == "revoked"]
    with admin_api.signed_out() as script:
        assert list_tools(script, **bearer(token)).status_code == 200
        assert admin_api.delete(f"/api/tokens/{made['id']}").status_code == 204
        assert_unauthenticated(list_tools(script, **bearer(token)))


def test_an_expired_token_is_refused(admin_api: AppClient, clock: Clock) -> None:
    token = make_token(admin_api, expires_in_days=1)
    with admin_api.signed_out() as script:
        clock.advance(86400 - 1)
        assert list_tools(script, **bearer(token)).status_code == 200
        clock.advance(1)
        assert_unauthenticated(list_tools(script, **bearer(token)))


def test_a_read_token_reads_but_never_writes(client: AppClient) -> None:
    task = create_task(client, title=unique("read over mcp"))
    token = make_token(client, READ)

    async def session() -> list[Any]:
        async with mcp_client(client, token) as mcp:
            return [
                await mcp.list_tools(),
                await mcp.call_tool("get_task", {"task_id": task["id"]}),
                await mcp.call_tool("list_tasks", {"query": task["title"]}),
                await mcp.call_tool("list_reminders", {"task_id": task["id"]}),
                await mcp.call_tool("add_task", {"title": unique("never made")}),
                await mcp.call_tool("update_task", {"task_id": task["id"], "title": "changed"}),
                await mcp.call_tool("complete_task", {"task_id": task["id"]}),
                await mcp.call_tool("delete_task", {"task_id": task["id"]}),
                await mcp.call_tool("delete_tasks", {"task_ids": [task["id"]], "confirm": True}),
            ]

    listed, got, found, reminders, *writes = client.run(session)

    assert {tool.name for tool in listed.tools} == READ_ONLY_TOOLS
    assert all(tool.annotations.read_only_hint for tool in listed.tools)
    assert not got.is_error and got.structured_content["task"]["id"] == task["id"]
    assert [t["id"] for t in found.structured_content["tasks"]] == [task["id"]]
    assert not reminders.is_error
    for refused in writes:
        assert refused.is_error
        assert refused.structured_content["error"].startswith("this token may only read: ")
    assert client.get(f"/api/tasks/{task['id']}").json() == task


def test_a_write_token_writes(client: AppClient) -> None:
    title = unique("written over mcp")
    token = make_token(client)

    async def session() -> list[Any]:
        async with mcp_client(client, token) as mcp:
            listed = await mcp.list_tools()
            added = await mcp.call_tool("add_task", {"title": title})
            deleted = await mcp.call_tool(
                "delete_task", {"task_id": added.structured_content["task"]["id"]}
            )
            return [listed, added, deleted]

    listed, added, deleted = client.run(session)

    read_only = {tool.name: tool.annotations.read_only_hint for tool in listed.tools}
    assert read_only["add_task"] is False and read_only["get_task"] is True
    assert not added.is_error and not deleted.is_error
    task_id = added.structured_content["task"]["id"]
    assert client.get(f"/api/tasks/{task_id}").status_code == 404


@pytest.mark.parametrize(
    "host", ["evil.example", "testserver.evil.example", "localhost:1", "127.0.0.2", "[::2]:3000"]
)
def test_a_foreign_host_is_refused(client: AppClient, host: str) -> None:
    """A page of another site whose name now points here (DNS rebinding) sends its own Host."""
    refused = list_tools(client, Host=host)

    assert refused.status_code == 421, refused.text


@pytest.mark.parametrize(
    "host", ["testserver", "localhost:3000", "127.0.0.1:3000", "[::1]:3000", "localhost"]
)
def test_the_apps_own_hosts_are_served(client: AppClient, host: str) -> None:
    assert list_tools(client, Host=host).status_code == 200


FOREIGN_ORIGINS = ["https://evil.example", "http://testserver.evil.example", "http://localhost:1"]


@pytest.mark.parametrize("origin", [*FOREIGN_ORIGINS, "null"])
def test_a_foreign_origin_is_refused(client: AppClient, origin: str) -> None:
    refused = list_tools(client, Origin=origin)

    assert refused.status_code == 403, refused.text


@pytest.mark.parametrize("origin", ["http://testserver", "https://testserver"])
def test_the_apps_own_origin_is_served(client: AppClient, origin: str) -> None:
    assert list_tools(client, Origin=origin).status_code == 200


def test_an_allowed_origin_is_served(fresh_database: str) -> None:
    origin = "https://planner.example.com"
    with api_client(fresh_database, TASKFLOW_ALLOWED_ORIGINS=f"{origin}/") as client:
        assert list_tools(client, Origin=origin).status_code == 200
        assert list_tools(client, Origin="https://other.example.com").status_code == 403
