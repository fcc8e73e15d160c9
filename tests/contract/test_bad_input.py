"""Bad input: 422 naming the field (404 for ids that cannot exist), never a 500, nothing stored."""

from typing import Any

import httpx
import pytest

from tests.contract.helpers import assert_invalid, get_task, list_tasks, reminders_of
from tests.support.tasks import Json, create_task, unique

Case = tuple[dict[str, Any], tuple[str | int, ...]]

# Bodies of POST /api/tasks, each with the location the 422 must name. Every body is sent with
# a unique marker in its description, searched for afterwards to show nothing was stored.
CREATE_CASES: dict[str, Case] = {
    "unknown-field": ({"title": "ok", "colour": "red"}, ("body", "colour")),
    "status-is-not-settable": ({"title": "ok", "status": "completed"}, ("body", "status")),
    "id-is-not-settable": ({"title": "ok", "id": 5}, ("body", "id")),
    "created_at-is-not-settable": (
        {"title": "ok", "created_at": "2031-01-01T00:00:00Z"},
        ("body", "created_at"),
    ),
    "missing-title": ({}, ("body", "title")),
    "title-null": ({"title": None}, ("body", "title")),
    "title-empty": ({"title": ""}, ("body", "title")),
    "title-blank": ({"title": "   "}, ("body", "title")),
    "title-501-chars": ({"title": "x" * 501}, ("body", "title")),
    "title-number": ({"title": 123}, ("body", "title")),
    "title-list": ({"title": ["a"]}, ("body", "title")),
    "description-null": ({"title": "ok", "description": None}, ("body", "description")),
    "description-10001-chars": (
        {"title": "ok", "description": "d" * 10_001},
        ("body", "description"),
    ),
    "tags-string": ({"title": "ok", "tags": "x"}, ("body", "tags")),
    "tags-numbers": ({"title": "ok", "tags": [1]}, ("body", "tags")),
    "51-tags": ({"title": "ok", "tags": [f"t{i}" for i in range(51)]}, ("body", "tags")),
    "tag-with-space": ({"title": "ok", "tags": ["a b"]}, ("body", "tags")),
    "tag-hash-only": ({"title": "ok", "tags": ["#"]}, ("body", "tags")),
    "tag-bang": ({"title": "ok", "tags": ["!x"]}, ("body", "tags")),
    "tag-empty": ({"title": "ok", "tags": [""]}, ("body", "tags")),
    "tag-51-chars": ({"title": "ok", "tags": ["t" * 51]}, ("body", "tags")),
    "priority-unknown": ({"title": "ok", "priority": "urgent"}, ("body", "priority")),
    "priority-number": ({"title": "ok", "priority": 3}, ("body", "priority")),
    "recurrence-unknown": ({"title": "ok", "recurrence": "yearly"}, ("body", "recurrence")),
    "repeat_from-unknown": ({"title": "ok", "repeat_from": "start"}, ("body", "repeat_from")),
    "rrule-garbage": ({"title": "ok", "rrule": "every monday"}, ("body", "rrule")),
    "rrule-hourly": ({"title": "ok", "rrule": "FREQ=HOURLY"}, ("body", "rrule")),
    "rrule-bad-weekday": ({"title": "ok", "rrule": "FREQ=WEEKLY;BYDAY=XX"}, ("body", "rrule")),
    "rrule-count-0": ({"title": "ok", "rrule": "FREQ=DAILY;COUNT=0"}, ("body", "rrule")),
    "rrule-unknown-part": ({"title": "ok", "rrule": "FREQ=DAILY;FOO=1"}, ("body", "rrule")),
    "custom-without-rrule": ({"title": "ok", "recurrence": "custom"}, ("body", "rrule")),
    "rrule-with-daily": (
        {"title": "ok", "recurrence": "daily", "rrule": "FREQ=WEEKLY"},
        ("body", "rrule"),
    ),
    "offset-soon": ({"title": "ok", "reminder_offset": "soon"}, ("body", "reminder_offset")),
    "offset-negative": ({"title": "ok", "reminder_offset": "-1 hour"}, ("body", "reminder_offset")),
    "offset-no-unit": ({"title": "ok", "reminder_offset": "30"}, ("body", "reminder_offset")),
    "offset-fraction": ({"title": "ok", "reminder_offset": "PT0.5S"}, ("body", "reminder_offset")),
    "offset-month": ({"title": "ok", "reminder_offset": "1 month"}, ("body", "reminder_offset")),
    "offset-over-a-year": (
        {"title": "ok", "reminder_offset": "366 days"},
        ("body", "reminder_offset"),
    ),
    "timezone-unknown": ({"title": "ok", "timezone": "Mars/Olympus"}, ("body", "timezone")),
    "timezone-empty": ({"title": "ok", "timezone": ""}, ("body", "timezone")),
    "due_date-words": ({"title": "ok", "due_date": "tomorrow"}, ("body", "due_date")),
    "due_date-feb-30": ({"title": "ok", "due_date": "2031-02-30T10:00:00"}, ("body", "due_date")),
    "due_date-hour-25": ({"title": "ok", "due_date": "2031-02-03T25:00:00"}, ("body", "due_date")),
    "due_date-year-1800": (
        {"title": "ok", "due_date": "1800-01-01T00:00:00"},
        ("body", "due_date"),
    ),
    "due_date-list": ({"title": "ok", "due_date": ["2031-01-01"]}, ("body", "due_date")),
    # Found by the fuzz tier: numbers were read as Unix timestamps.
    "due_date-number": ({"title": "ok", "due_date": 0}, ("body", "due_date")),
    "due_date-digits": ({"title": "ok", "due_date": "1700000000"}, ("body", "due_date")),
}


@pytest.mark.parametrize(("body", "loc"), CREATE_CASES.values(), ids=CREATE_CASES.keys())
def test_create_rejects_bad_input_and_stores_nothing(
    client: httpx.Client, body: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    marker = unique("bad-")
    response = client.post("/api/tasks", json={"description": marker, **body})
    assert_invalid(response, *loc)
    assert list_tasks(client, q=marker) == ([], 0)


@pytest.mark.parametrize(
    "content",
    ["not json", '{"title": "unterminated', "", "[]", "null", '"title"'],
    ids=["text", "truncated", "empty", "array", "null", "string"],
)
def test_create_rejects_a_body_that_is_not_a_json_object(
    client: httpx.Client, content: str
) -> None:
    marker = unique("bad-")
    response = client.post(
        "/api/tasks",
        content=content.replace("title", f"title {marker}"),
        headers={"content-type": "application/json"},
    )
    assert_invalid(response, "body")
    assert list_tasks(client, q=marker) == ([], 0)


def test_create_with_invalid_utf8_is_a_client_error(client: httpx.Client) -> None:
    marker = unique("bad-")
    content = b'{"title": "\xff ' + marker.encode() + b'"}'
    response = client.post(
        "/api/tasks", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text
    assert list_tasks(client, q=marker) == ([], 0)


def test_create_with_a_lone_surrogate_is_422_not_500(client: httpx.Client) -> None:
    """JSON may spell a lone UTF-16 surrogate (\\ud800); it is not text and must be refused."""
    marker = unique("bad-")
    content = '{"title": "x \\ud800", "description": "' + marker + '"}'
    response = client.post(
        "/api/tasks", content=content, headers={"content-type": "application/json"}
    )
    assert_invalid(response, "body", "title")
    assert list_tasks(client, q=marker) == ([], 0)


@pytest.mark.parametrize("field", ["title", "description"])
def test_nul_character_in_text_is_never_a_500(client: httpx.Client, field: str) -> None:
    """A NUL character is valid JSON; the service must store it or refuse it with a 422."""
    marker = unique("nul-")
    body = {"title": marker, field: f"{marker} a\u0000b"}
    response = client.post("/api/tasks", json=body)
    assert response.status_code in (201, 422), (response.status_code, response.text)
    if response.status_code == 422:
        assert_invalid(response, "body", field)
        assert list_tasks(client, q=marker) == ([], 0)
    else:
        assert response.json()[field] == body[field]


NUL_QUERIES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "list-q": ("GET", "/api/tasks", {"params": {"q": "a\u0000b"}}),
    "search-query": ("POST", "/api/tasks/search", {"json": {"query": "a\u0000b"}}),
    "audit-event_type": ("GET", "/api/audit", {"params": {"event_type": "a\u0000b"}}),
}


@pytest.mark.parametrize(("method", "path", "kwargs"), NUL_QUERIES.values(), ids=NUL_QUERIES.keys())
def test_nul_character_in_search_text_is_never_a_500(
    client: httpx.Client, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    response = client.request(method, path, **kwargs)
    assert response.status_code in (200, 422), (response.status_code, response.text)


# --- updates ------------------------------------------------------------------------------------

UPDATE_CASES: dict[str, Case] = {
    "unknown-field": ({"colour": "red"}, ("body", "colour")),
    "id": ({"id": 1}, ("body", "id")),
    "created_at": ({"created_at": "2031-01-01T00:00:00Z"}, ("body", "created_at")),
    "completed_at": ({"completed_at": "2031-01-01T00:00:00Z"}, ("body", "completed_at")),
    "parent_task_id": ({"parent_task_id": 1}, ("body", "parent_task_id")),
    "title-empty": ({"title": ""}, ("body", "title")),
    "title-501-chars": ({"title": "x" * 501}, ("body", "title")),
    "title-number": ({"title": 7}, ("body", "title")),
    "priority-null": ({"priority": None}, ("body", "priority")),
    "priority-unknown": ({"priority": "urgent"}, ("body", "priority")),
    "status-unknown": ({"status": "archived"}, ("body", "status")),
    "status-null": ({"status": None}, ("body", "status")),
    "tags-null": ({"tags": None}, ("body", "tags")),
    "51-tags": ({"tags": [f"t{i}" for i in range(51)]}, ("body", "tags")),
    "tag-with-space": ({"tags": ["a b"]}, ("body", "tags")),
    "recurrence-unknown": ({"recurrence": "hourly"}, ("body", "recurrence")),
    "custom-without-rrule": ({"recurrence": "custom"}, ("body", "rrule")),
    "rrule-garbage": ({"rrule": "FREQ=SOMETIMES"}, ("body", "rrule")),
    "offset-no-unit": ({"reminder_offset": "30"}, ("body", "reminder_offset")),
    "timezone-unknown": ({"timezone": "Atlantis/Capital"}, ("body", "timezone")),
    "due_date-malformed": ({"due_date": "31/12/2031"}, ("body", "due_date")),
}


@pytest.mark.parametrize(("body", "loc"), UPDATE_CASES.values(), ids=UPDATE_CASES.keys())
def test_update_rejects_bad_input_and_changes_nothing(
    client: httpx.Client, body: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    task = create_task(client, tags=["kept"], due_date="2031-03-10T09:00:00Z")
    assert_invalid(client.put(f"/api/tasks/{task['id']}", json=body), *loc)
    assert get_task(client, task["id"]) == task


PRIORITY_CASES: dict[str, Case] = {
    "unknown": ({"priority": "urgent"}, ("body", "priority")),
    "missing": ({}, ("body", "priority")),
    "null": ({"priority": None}, ("body", "priority")),
    "extra-field": ({"priority": "high", "title": "x"}, ("body", "title")),
}


@pytest.mark.parametrize(("body", "loc"), PRIORITY_CASES.values(), ids=PRIORITY_CASES.keys())
def test_put_priority_rejects_bad_input(
    client: httpx.Client, body: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    task = create_task(client, priority="low")
    assert_invalid(client.put(f"/api/tasks/{task['id']}/priority", json=body), *loc)
    assert get_task(client, task["id"]) == task


TAG_BODY_CASES: dict[str, Case] = {
    "empty-list": ({"tags": []}, ("body", "tags")),
    "missing": ({}, ("body", "tags")),
    "string": ({"tags": "x"}, ("body", "tags")),
    "malformed": ({"tags": ["ok", "a b"]}, ("body", "tags")),
    "51-tags": ({"tags": [f"t{i}" for i in range(51)]}, ("body", "tags")),
    "extra-field": ({"tags": ["x"], "mode": "replace"}, ("body", "mode")),
}


@pytest.mark.parametrize("method", ["POST", "DELETE"])
@pytest.mark.parametrize(("body", "loc"), TAG_BODY_CASES.values(), ids=TAG_BODY_CASES.keys())
def test_tag_endpoints_reject_bad_input(
    client: httpx.Client, method: str, body: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    task = create_task(client, tags=["kept", "ok"])
    response = client.request(method, f"/api/tasks/{task['id']}/tags", json=body)
    assert_invalid(response, *loc)
    assert get_task(client, task["id"]) == task


# --- listing and search -------------------------------------------------------------------------

LIST_CASES: dict[str, tuple[dict[str, str], str]] = {
    "unknown-parameter": ({"colour": "red"}, "colour"),
    "status": ({"status": "done"}, "status"),
    "priority": ({"priority": "urgent"}, "priority"),
    "sort_by": ({"sort_by": "colour"}, "sort_by"),
    "order": ({"order": "up"}, "order"),
    "limit-0": ({"limit": "0"}, "limit"),
    "limit-501": ({"limit": "501"}, "limit"),
    "limit-text": ({"limit": "ten"}, "limit"),
    "offset-negative": ({"offset": "-1"}, "offset"),
    "offset-huge": ({"offset": "99999999999"}, "offset"),
    "due_before": ({"due_before": "tomorrow"}, "due_before"),
    "due_after": ({"due_after": "2031-13-01T00:00:00"}, "due_after"),
    "tag-with-space": ({"tags": "a b"}, "tags"),
    "tag-hash-only": ({"tags": "#"}, "tags"),
    "tag-empty": ({"tags": ""}, "tags"),
    "q-too-long": ({"q": "q" * 201}, "q"),
    "51-tags": ({"tags": ",".join(f"t{i}" for i in range(51))}, "tags"),
    "due_before-number": ({"due_before": "0.5"}, "due_before"),
}


@pytest.mark.parametrize(("params", "field"), LIST_CASES.values(), ids=LIST_CASES.keys())
def test_list_rejects_bad_query_parameters(
    client: httpx.Client, params: dict[str, str], field: str
) -> None:
    assert_invalid(client.get("/api/tasks", params=params), "query", field)


SEARCH_CASES: dict[str, Case] = {
    "unknown-field": ({"colour": "red"}, ("body", "colour")),
    "unknown-filter": ({"filters": {"colour": "red"}}, ("body", "filters", "colour")),
    "filter-status": ({"filters": {"status": "done"}}, ("body", "filters", "status")),
    "filter-priority": ({"filters": {"priority": 9}}, ("body", "filters", "priority")),
    "filter-tags-string": ({"filters": {"tags": "x"}}, ("body", "filters", "tags")),
    "filter-tag-malformed": ({"filters": {"tags": ["!x"]}}, ("body", "filters", "tags")),
    "filter-due_before": ({"filters": {"due_before": "soon"}}, ("body", "filters", "due_before")),
    "sort_by": ({"sort_by": "colour"}, ("body", "sort_by")),
    "order": ({"order": "sideways"}, ("body", "order")),
    "limit-0": ({"limit": 0}, ("body", "limit")),
    "limit-501": ({"limit": 501}, ("body", "limit")),
    "offset-negative": ({"offset": -1}, ("body", "offset")),
    "offset-false": ({"offset": False}, ("body", "offset")),
    "limit-true": ({"limit": True}, ("body", "limit")),
    "filter-due_after-number": ({"filters": {"due_after": 0}}, ("body", "filters", "due_after")),
    "query-number": ({"query": 5}, ("body", "query")),
    "query-too-long": ({"query": "q" * 201}, ("body", "query")),
}


@pytest.mark.parametrize(("body", "loc"), SEARCH_CASES.values(), ids=SEARCH_CASES.keys())
def test_search_rejects_bad_input(
    client: httpx.Client, body: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    assert_invalid(client.post("/api/tasks/search", json=body), *loc)


# --- reminders and audit ------------------------------------------------------------------------


@pytest.fixture
def dated_task(client: httpx.Client) -> Json:
    return create_task(client, due_date="2031-03-10T09:00:00Z")


REMINDER_CASES: dict[str, Case] = {
    "offset-soon": ({"reminder_offset": "soon"}, ("body", "reminder_offset")),
    "offset-negative": ({"reminder_offset": "-1 hour"}, ("body", "reminder_offset")),
    "offset-no-unit": ({"reminder_offset": "30"}, ("body", "reminder_offset")),
    "offset-empty": ({"reminder_offset": ""}, ("body", "reminder_offset")),
    "offset-missing": ({}, ("body", "reminder_offset")),
    "offset-number": ({"reminder_offset": 30}, ("body", "reminder_offset")),
    "unknown-field": ({"reminder_offset": "1h", "note": "x"}, ("body", "note")),
}


@pytest.mark.parametrize(("body", "loc"), REMINDER_CASES.values(), ids=REMINDER_CASES.keys())
def test_post_reminder_rejects_bad_input_and_stores_nothing(
    client: httpx.Client, dated_task: Json, body: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    response = client.post("/api/reminders", json={"task_id": dated_task["id"], **body})
    assert_invalid(response, *loc)
    assert reminders_of(client, dated_task["id"]) == []


@pytest.mark.parametrize("task_id", [0, -1, 99_999_999_999, "abc", None, True])
def test_post_reminder_rejects_impossible_task_ids(client: httpx.Client, task_id: object) -> None:
    response = client.post("/api/reminders", json={"task_id": task_id, "reminder_offset": "1h"})
    assert_invalid(response, "body", "task_id")


QUERY_CASES: dict[str, tuple[str, dict[str, str], str]] = {
    "reminders-unknown": ("/api/reminders", {"colour": "red"}, "colour"),
    "reminders-status": ("/api/reminders", {"status": "snoozed"}, "status"),
    "reminders-task_id-0": ("/api/reminders", {"task_id": "0"}, "task_id"),
    "reminders-task_id-text": ("/api/reminders", {"task_id": "one"}, "task_id"),
    "audit-unknown": ("/api/audit", {"colour": "red"}, "colour"),
    "audit-task_id-negative": ("/api/audit", {"task_id": "-1"}, "task_id"),
    "audit-limit-0": ("/api/audit", {"limit": "0"}, "limit"),
    "audit-limit-501": ("/api/audit", {"limit": "501"}, "limit"),
    "audit-offset-negative": ("/api/audit", {"offset": "-1"}, "offset"),
}


REPEATED_QUERIES: dict[str, tuple[str, str, str]] = {
    "tasks-q": ("/api/tasks", "q=a&q=b", "q"),
    "tasks-limit": ("/api/tasks", "limit=1&limit=2", "limit"),
    "reminders-status": ("/api/reminders", "status=pending&status=sent", "status"),
    "audit-task_id": ("/api/audit", "task_id=1&task_id=2", "task_id"),
}


@pytest.mark.parametrize(
    ("path", "query", "field"), REPEATED_QUERIES.values(), ids=REPEATED_QUERIES.keys()
)
def test_a_query_parameter_given_twice_is_refused_unless_a_list(
    client: httpx.Client, path: str, query: str, field: str
) -> None:
    """Found by the fuzz tier: the last of the values was used, the others silently dropped."""
    assert_invalid(client.get(f"{path}?{query}"), "query", field)


def test_tags_may_be_given_more_than_once(client: httpx.Client) -> None:
    task = create_task(client, tags=[unique("a"), unique("b")])
    response = client.get("/api/tasks", params=[("tags", tag) for tag in task["tags"]])
    assert response.status_code == 200, response.text
    assert [found["id"] for found in response.json()] == [task["id"]]


@pytest.mark.parametrize(("path", "params", "field"), QUERY_CASES.values(), ids=QUERY_CASES.keys())
def test_reminder_and_audit_queries_reject_bad_parameters(
    client: httpx.Client, path: str, params: dict[str, str], field: str
) -> None:
    assert_invalid(client.get(path, params=params), "query", field)


# --- ids in the path ----------------------------------------------------------------------------

ID_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/tasks/{}", None),
    ("PUT", "/api/tasks/{}", {"title": "x"}),
    ("DELETE", "/api/tasks/{}", None),
    ("POST", "/api/tasks/{}/complete", None),
    ("PUT", "/api/tasks/{}/priority", {"priority": "high"}),
    ("POST", "/api/tasks/{}/tags", {"tags": ["x"]}),
    ("DELETE", "/api/tasks/{}/tags", {"tags": ["x"]}),
    ("DELETE", "/api/reminders/{}", None),
]


@pytest.mark.parametrize("ident", ["0", "-1", "99999999999", "2147483648", "1.5", "abc", "%00"])
@pytest.mark.parametrize(
    ("method", "template", "body"), ID_ROUTES, ids=[f"{m} {t}" for m, t, _ in ID_ROUTES]
)
def test_impossible_ids_in_the_path_are_404_or_422(
    client: httpx.Client, method: str, template: str, body: dict[str, Any] | None, ident: str
) -> None:
    response = client.request(method, template.format(ident), json=body)
    assert response.status_code in (404, 422), (response.status_code, response.text)
    if response.status_code == 422:
        assert_invalid(response, "path")


# --- methods ------------------------------------------------------------------------------------

UNDECLARED_METHODS: list[tuple[str, str, str]] = [
    ("OPTIONS", "/api/tasks", "GET, POST"),
    ("PATCH", "/api/tasks", "GET, POST"),
    ("PUT", "/api/tasks/search", "POST"),
    ("GET", "/api/tasks/search", "POST"),
    ("OPTIONS", "/api/tasks/1", "DELETE, GET, PUT"),
    ("OPTIONS", "/api/tasks/1/tags", "DELETE, POST"),
    ("OPTIONS", "/api/reminders", "GET, POST"),
]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    UNDECLARED_METHODS,
    ids=[f"{method} {path}" for method, path, _ in UNDECLARED_METHODS],
)
def test_a_method_the_path_lacks_is_405_naming_every_method_it_has(
    client: httpx.Client, method: str, path: str, allowed: str
) -> None:
    """Found by the fuzz tier: Allow named only one route's methods, and PUT /api/tasks/search
    was read as an update of a task whose id is "search"."""
    response = client.request(method, path)
    assert response.status_code == 405, (response.status_code, response.text)
    assert response.headers["allow"] == allowed
