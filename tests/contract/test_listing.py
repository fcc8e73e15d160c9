"""Contract of GET /api/tasks (filters, text search, sorting, paging) and POST /api/tasks/search."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.contract.helpers import SERVER_TIMEZONE, TASK_FIELDS, ids, list_tasks, titles
from tests.support.tasks import Json, create_task, unique

# --- filters ------------------------------------------------------------------------------------


def test_list_returns_a_json_array_of_tasks_and_total_header(client: httpx.Client) -> None:
    tag = unique("t")
    created = [create_task(client, tags=[tag]) for _ in range(2)]
    response = client.get("/api/tasks", params={"tags": tag})

    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "2"
    body = response.json()
    assert isinstance(body, list)
    assert all(set(task) == TASK_FIELDS for task in body)
    assert sorted(body, key=lambda task: task["id"]) == created


def test_filter_by_status(client: httpx.Client) -> None:
    tag = unique("t")
    pending = create_task(client, tags=[tag])
    done = create_task(client, tags=[tag])
    client.post(f"/api/tasks/{done['id']}/complete").raise_for_status()

    assert ids(list_tasks(client, tags=tag, status="pending")[0]) == [pending["id"]]
    assert ids(list_tasks(client, tags=tag, status="completed")[0]) == [done["id"]]
    assert list_tasks(client, tags=tag)[1] == 2


def test_filter_by_priority(client: httpx.Client) -> None:
    tag = unique("t")
    made = [
        create_task(client, tags=[tag], priority=priority)
        for priority in ("low", "medium", "high", "high")
    ]
    for priority in ("low", "medium", "high"):
        found, total = list_tasks(
            client, tags=tag, priority=priority, sort_by="created_at", order="asc"
        )
        expected = [task["id"] for task in made if task["priority"] == priority]
        assert (ids(found), total) == (expected, len(expected)), priority


def test_filter_by_tags_requires_every_tag(client: httpx.Client) -> None:
    a, b = unique("a"), unique("b")
    both = create_task(client, tags=[a, b, "extra"])
    only_a = create_task(client, tags=[a])
    only_b = create_task(client, tags=[b])

    assert ids(list_tasks(client, tags=f"{a},{b}", sort_by="created_at", order="asc")[0]) == [
        both["id"]
    ]
    assert ids(list_tasks(client, tags=[a, b])[0]) == [both["id"]]  # repeated parameter
    assert ids(list_tasks(client, tags=a, sort_by="created_at", order="asc")[0]) == [
        both["id"],
        only_a["id"],
    ]
    assert ids(list_tasks(client, tags=b, sort_by="created_at", order="asc")[0]) == [
        both["id"],
        only_b["id"],
    ]
    assert list_tasks(client, tags=f"{a},{b},{unique('none')}") == ([], 0)


def test_tag_filter_is_trimmed_and_lower_cased(client: httpx.Client) -> None:
    tag = unique("t")
    task = create_task(client, tags=[tag])
    assert ids(list_tasks(client, tags=f"  {tag.upper()} ")[0]) == [task["id"]]
    assert ids(list_tasks(client, tags=f"#{tag}")[0]) == [task["id"]]


def _dated(client: httpx.Client, tag: str) -> dict[str, Json]:
    return {
        "jan": create_task(client, tags=[tag], due_date="2031-01-01T06:00:00Z"),
        "jun": create_task(client, tags=[tag], due_date="2031-06-01T12:00:00Z"),
        "dec": create_task(client, tags=[tag], due_date="2031-12-01T12:00:00Z"),
        "none": create_task(client, tags=[tag]),
    }


def test_filter_due_before_and_due_after(client: httpx.Client) -> None:
    tag = unique("t")
    made = _dated(client, tag)

    def found(**params: Any) -> list[int]:
        return ids(list_tasks(client, tags=tag, sort_by="due_date", order="asc", **params)[0])

    assert found(due_before="2031-03-01T00:00:00Z") == [made["jan"]["id"]]
    assert found(due_after="2031-03-01T00:00:00Z") == [made["jun"]["id"], made["dec"]["id"]]
    assert found(due_after="2031-03-01T00:00:00Z", due_before="2031-09-01T00:00:00Z") == [
        made["jun"]["id"]
    ]
    assert found(due_after="2032-01-01T00:00:00Z") == []


def test_due_filters_honour_the_given_offset(client: httpx.Client) -> None:
    """The jan task is due 06:00Z: 10:00+05:00 is 05:00Z (before it), 10:00+03:00 is after it."""
    tag = unique("t")
    made = _dated(client, tag)
    before_it = list_tasks(client, tags=tag, due_before="2031-01-01T10:00:00+05:00")[0]
    assert before_it == []
    after_it = list_tasks(client, tags=tag, due_before="2031-01-01T10:00:00+03:00")[0]
    assert ids(after_it) == [made["jan"]["id"]]


def test_naive_due_filters_are_read_in_the_configured_zone(client: httpx.Client) -> None:
    """The jun task is due 12:00Z; a naive window of 11:30 to 12:30 on the configured zone's
    wall clock holds it only if the server reads the window in that zone."""
    tag = unique("t")
    made = _dated(client, tag)
    due = datetime(2031, 6, 1, 12, 0, tzinfo=UTC).astimezone(ZoneInfo(SERVER_TIMEZONE))
    wall = due.replace(tzinfo=None)
    window = {
        "due_after": (wall - timedelta(minutes=30)).isoformat(),
        "due_before": (wall + timedelta(minutes=30)).isoformat(),
    }
    assert ids(list_tasks(client, tags=tag, **window)[0]) == [made["jun"]["id"]]
    shifted = {name: f"{value}+05:00" for name, value in window.items()}
    if due.utcoffset() != timedelta(hours=5):
        assert list_tasks(client, tags=tag, **shifted)[0] == []


def test_q_matches_title_and_description_ignoring_case(client: httpx.Client) -> None:
    marker = unique("m")
    in_title = create_task(client, title=f"Buy MILK {marker}")
    in_description = create_task(client, title=f"x {marker}", description="oat milk, please")
    create_task(client, title=f"Buy bread {marker}")

    for text in ("milk", "MILK", "MiLk"):
        found, _ = list_tasks(client, q=text, sort_by="created_at", order="asc", limit=500)
        matching = [task for task in found if marker in task["title"]]
        assert ids(matching) == [in_title["id"], in_description["id"]], text
    assert list_tasks(client, q=f"MILK {marker.upper()}")[1] == 1


def test_q_ignores_case_of_non_ascii_letters(client: httpx.Client) -> None:
    marker = unique("m")
    task = create_task(client, title=f"ÄPFEL und ÖL kaufen {marker}")
    assert ids(list_tasks(client, q=f"äpfel und öl kaufen {marker}")[0]) == [task["id"]]


@pytest.mark.parametrize(
    ("text", "matches", "misses"),
    [
        ("50%", "50% off", "500 off"),
        ("a_b", "a_b", "axb"),
        ("100\\", "100\\ backslash", "100 backslash"),
    ],
)
def test_q_treats_like_wildcards_as_plain_characters(
    client: httpx.Client, text: str, matches: str, misses: str
) -> None:
    tag = unique("t")
    hit = create_task(client, title=f"{matches} {tag}", tags=[tag])
    create_task(client, title=f"{misses} {tag}", tags=[tag])
    found, total = list_tasks(client, tags=tag, q=text)
    assert (ids(found), total) == ([hit["id"]], 1)


def test_filters_combine(client: httpx.Client) -> None:
    tag = unique("t")
    hit = create_task(
        client, title=f"report {tag}", tags=[tag], priority="high", due_date="2031-02-01T00:00:00Z"
    )
    create_task(
        client, title=f"report {tag}", tags=[tag], priority="low", due_date="2031-02-01T00:00:00Z"
    )
    create_task(
        client, title=f"other {tag}", tags=[tag], priority="high", due_date="2031-02-01T00:00:00Z"
    )
    found, total = list_tasks(
        client,
        tags=tag,
        q="REPORT",
        priority="high",
        status="pending",
        due_before="2031-03-01T00:00:00Z",
    )
    assert (ids(found), total) == ([hit["id"]], 1)


# --- sorting ------------------------------------------------------------------------------------


def test_sort_by_priority_uses_rank_not_spelling(client: httpx.Client) -> None:
    tag = unique("t")
    for priority in ("medium", "low", "high"):
        create_task(client, tags=[tag], priority=priority, title=f"{priority} {tag}")

    def order(direction: str | None) -> list[str]:
        params = {"tags": tag, "sort_by": "priority"}
        if direction:
            params["order"] = direction
        return [task["priority"] for task in list_tasks(client, **params)[0]]

    assert order("desc") == ["high", "medium", "low"]
    assert order("asc") == ["low", "medium", "high"]
    assert order(None) == ["high", "medium", "low"]  # most urgent first by default


def test_sort_by_due_date_puts_undated_tasks_last_both_ways(client: httpx.Client) -> None:
    tag = unique("t")
    made = _dated(client, tag)
    names = {task["id"]: name for name, task in made.items()}

    def order(direction: str) -> list[str]:
        found = list_tasks(client, tags=tag, sort_by="due_date", order=direction)[0]
        return [names[task["id"]] for task in found]

    assert order("asc") == ["jan", "jun", "dec", "none"]
    assert order("desc") == ["dec", "jun", "jan", "none"]


def test_default_sort_is_due_date_ascending(client: httpx.Client) -> None:
    tag = unique("t")
    made = _dated(client, tag)
    expected = [made[name]["id"] for name in ("jan", "jun", "dec", "none")]
    assert ids(list_tasks(client, tags=tag)[0]) == expected


def test_sort_by_title(client: httpx.Client) -> None:
    tag = unique("t")
    for word in ("charlie", "alpha", "bravo"):
        create_task(client, tags=[tag], title=f"{word} {tag}")
    expected = [f"{word} {tag}" for word in ("alpha", "bravo", "charlie")]
    assert titles(list_tasks(client, tags=tag, sort_by="title", order="asc")[0]) == expected
    assert titles(list_tasks(client, tags=tag, sort_by="title", order="desc")[0]) == expected[::-1]


def test_sort_by_title_ignores_case(client: httpx.Client) -> None:
    """A board sorted by title reads A to Z whatever the capitals: apple, Banana, cherry."""
    tag = unique("t")
    for word in ("cherry", "Banana", "apple"):
        create_task(client, tags=[tag], title=f"{word} {tag}")
    expected = [f"{word} {tag}" for word in ("apple", "Banana", "cherry")]
    assert titles(list_tasks(client, tags=tag, sort_by="title", order="asc")[0]) == expected


def test_sort_by_created_at(client: httpx.Client) -> None:
    tag = unique("t")
    made = [create_task(client, tags=[tag])["id"] for _ in range(3)]
    assert ids(list_tasks(client, tags=tag, sort_by="created_at", order="asc")[0]) == made
    assert ids(list_tasks(client, tags=tag, sort_by="created_at", order="desc")[0]) == made[::-1]
    assert ids(list_tasks(client, tags=tag, sort_by="created_at")[0]) == made[::-1]  # newest first


def test_sort_by_updated_at(client: httpx.Client) -> None:
    tag = unique("t")
    first, second, third = (create_task(client, tags=[tag])["id"] for _ in range(3))
    client.put(f"/api/tasks/{first}", json={"description": "touched"}).raise_for_status()
    expected = [second, third, first]
    assert ids(list_tasks(client, tags=tag, sort_by="updated_at", order="asc")[0]) == expected
    desc = ids(list_tasks(client, tags=tag, sort_by="updated_at", order="desc")[0])
    assert desc == expected[::-1]


# --- paging -------------------------------------------------------------------------------------


def test_limit_and_offset_page_through_with_total_count(client: httpx.Client) -> None:
    tag = unique("t")
    made = [create_task(client, tags=[tag])["id"] for _ in range(5)]
    pages = [
        list_tasks(client, tags=tag, sort_by="created_at", order="asc", limit=2, offset=offset)
        for offset in (0, 2, 4, 6)
    ]
    assert [ids(page) for page, _ in pages] == [made[0:2], made[2:4], made[4:5], []]
    assert [total for _, total in pages] == [5, 5, 5, 5]


@pytest.mark.parametrize("sort_by", ["priority", "due_date", "title"])
def test_paging_through_ties_shows_every_task_once(client: httpx.Client, sort_by: str) -> None:
    tag = unique("t")
    made = {
        create_task(
            client,
            tags=[tag],
            title=f"same {tag}",
            priority=priority,
            due_date="2031-05-05T05:05:00Z",
        )["id"]
        for priority in ("high", "high", "low", "low", "low")
    }
    seen = [
        task_id
        for offset in range(6)
        for task_id in ids(list_tasks(client, tags=tag, sort_by=sort_by, limit=1, offset=offset)[0])
    ]
    assert sorted(seen) == sorted(made)


def test_default_limit_is_50_and_total_counts_all(client: httpx.Client) -> None:
    tag = unique("t")
    for _ in range(51):
        create_task(client, tags=[tag])
    found, total = list_tasks(client, tags=tag)
    assert (len(found), total) == (50, 51)
    found, total = list_tasks(client, tags=tag, limit=500)
    assert (len(found), total) == (51, 51)


# --- search -------------------------------------------------------------------------------------


def test_search_returns_results_and_total_count(client: httpx.Client) -> None:
    tag = unique("t")
    hits = [
        create_task(client, title=f"Plan trip {tag} {i}", tags=[tag, "travel"], priority="high")
        for i in range(3)
    ]
    create_task(client, title=f"Plan trip {tag} low", tags=[tag, "travel"], priority="low")
    create_task(client, title=f"Other {tag}", tags=[tag], priority="high")

    response = client.post(
        "/api/tasks/search",
        json={
            "query": "PLAN TRIP",
            "filters": {"tags": [tag, "Travel"], "priority": "high", "status": "pending"},
            "sort_by": "created_at",
            "order": "desc",
            "limit": 2,
            "offset": 1,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"results", "total_count"}
    assert body["total_count"] == 3
    assert all(set(task) == TASK_FIELDS for task in body["results"])
    assert ids(body["results"]) == [hits[1]["id"], hits[0]["id"]]


def test_search_with_due_filters_and_defaults(client: httpx.Client) -> None:
    tag = unique("t")
    made = _dated(client, tag)
    response = client.post(
        "/api/tasks/search",
        json={"filters": {"tags": [tag], "due_after": "2031-03-01T00:00:00Z"}},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_count"] == 2
    assert ids(body["results"]) == [made["jun"]["id"], made["dec"]["id"]]  # due date ascending


def test_search_matches_get_listing(client: httpx.Client) -> None:
    tag = unique("t")
    for priority in ("low", "high", "medium"):
        create_task(client, tags=[tag], priority=priority)
    listed, total = list_tasks(client, tags=tag, sort_by="priority", order="asc")
    searched = client.post(
        "/api/tasks/search",
        json={"filters": {"tags": [tag]}, "sort_by": "priority", "order": "asc"},
    ).json()
    assert searched == {"results": listed, "total_count": total}


def test_search_query_is_literal(client: httpx.Client) -> None:
    tag = unique("t")
    hit = create_task(client, title=f"100% done {tag}", tags=[tag])
    create_task(client, title=f"1000 done {tag}", tags=[tag])
    body = client.post(
        "/api/tasks/search", json={"query": "100%", "filters": {"tags": [tag]}}
    ).json()
    assert (ids(body["results"]), body["total_count"]) == ([hit["id"]], 1)


# --- text search: ranked, through each database's index ------------------------------------------


def _search(client: httpx.Client, text: str, **params: Any) -> list[int]:
    return ids(list_tasks(client, q=text, limit=500, **params)[0])


def test_q_without_a_sort_puts_the_most_relevant_first(client: httpx.Client) -> None:
    """A match in the title ranks above one in the description, though it is due later; an
    explicit sort (here the default one, named) orders by that instead."""
    word = unique("w")
    in_description = create_task(
        client,
        title=f"other {unique('x')}",
        description=f"remember the {word} and a few more words about it",
        due_date="2031-01-01T00:00:00Z",
    )
    in_title = create_task(client, title=f"{word} for the weekend", due_date="2031-06-01T00:00:00Z")
    ranked = [in_title["id"], in_description["id"]]

    assert _search(client, word) == ranked
    assert _search(client, word, sort_by="due_date") == ranked[::-1]
    body = client.post("/api/tasks/search", json={"query": word}).json()
    assert (ids(body["results"]), body["total_count"]) == (ranked, 2)
    body = client.post("/api/tasks/search", json={"query": word, "sort_by": "due_date"}).json()
    assert ids(body["results"]) == ranked[::-1]


def test_ranked_pages_show_every_match_once_with_the_total(client: httpx.Client) -> None:
    word = unique("w")
    made = {create_task(client, title=f"{word} {i}")["id"] for i in range(5)}
    pages = [list_tasks(client, q=word, limit=2, offset=offset) for offset in (0, 2, 4, 6)]
    assert sorted(task_id for page, _ in pages for task_id in ids(page)) == sorted(made)
    assert [total for _, total in pages] == [5, 5, 5, 5]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("ilkshak", "Buy a milkshake"),  # inside a word
        ("a MILKSHAKE", "buy a milkshake"),  # across words, any case
        ("москв", "Поездка в " + "москву".upper()),  # Cyrillic, folded
        ("σίσυφ", "ΣΊΣΥΦΟΣ reading group"),  # Greek, folded
        ("ab", "xaby"),  # shorter than the text index's trigrams
        ('say "hi"', 'say "hi" to them'),  # quotes are plain characters
    ],
)
def test_q_finds_any_substring_ignoring_case(client: httpx.Client, text: str, title: str) -> None:
    # The tag keeps the search to these two; it stays out of the titles, as its random hex
    # could hold the searched text.
    tag = unique("t")
    hit = create_task(client, title=title, tags=[tag])
    create_task(client, title="nothing alike", tags=[tag])
    assert _search(client, text, tags=tag) == [hit["id"]]


def test_q_follows_every_change_of_the_text(client: httpx.Client) -> None:
    before, after, described = unique("b"), unique("a"), unique("d")
    task = create_task(client, title=f"plan {before}")
    assert _search(client, before) == [task["id"]]

    client.put(f"/api/tasks/{task['id']}", json={"title": f"plan {after}"}).raise_for_status()
    assert (_search(client, before), _search(client, after)) == ([], [task["id"]])

    changed = {"description": f"now with {described}"}
    client.put(f"/api/tasks/{task['id']}", json=changed).raise_for_status()
    assert _search(client, described) == [task["id"]]
    client.put(f"/api/tasks/{task['id']}", json={"description": ""}).raise_for_status()
    assert _search(client, described) == []

    client.post(f"/api/tasks/{task['id']}/complete").raise_for_status()
    assert _search(client, after) == [task["id"]]
    client.delete(f"/api/tasks/{task['id']}").raise_for_status()
    assert _search(client, after) == []
