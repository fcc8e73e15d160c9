"""What each scenario asks, varied per request, as an HTTP request or as a TaskQuery."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.domain.enums import Priority, TaskStatus
from app.domain.queries import SortField, TaskQuery
from bench.workload import COMMON_TAGS, WORDS

# Search words: every 7th of the list, so common and rarer words (and substrings of
# longer words) alternate.
SEARCH_WORDS = WORDS[::7]
FILTER_WINDOW = timedelta(days=90)
DEEP_OFFSET = 5_000
ONE_WORD_SEARCH = "search (GET)"


@dataclass(frozen=True)
class Ask:
    """One listing request: GET /api/tasks, or POST /api/tasks/search when `post`."""

    status: TaskStatus | None = None
    priority: Priority | None = None
    tags: tuple[str, ...] = ()
    due_after: datetime | None = None
    due_before: datetime | None = None
    text: str | None = None
    sort_by: SortField | None = None
    offset: int = 0
    post: bool = False

    def request(self) -> tuple[str, str, dict[str, Any]]:
        """(method, path, httpx keyword arguments)."""
        filters: dict[str, Any] = {}
        if self.status is not None:
            filters["status"] = self.status.value
        if self.priority is not None:
            filters["priority"] = self.priority.value
        if self.tags:
            filters["tags"] = list(self.tags)
        if self.due_after is not None:
            filters["due_after"] = self.due_after.isoformat()
        if self.due_before is not None:
            filters["due_before"] = self.due_before.isoformat()
        page: dict[str, Any] = {}
        if self.sort_by is not None:
            page["sort_by"] = self.sort_by.value
        if self.offset:
            page["offset"] = self.offset
        if self.post:
            body = {"query": self.text, "filters": filters, **page}
            return "POST", "/api/tasks/search", {"json": body}
        params = {**filters, **page}
        if self.text is not None:
            params["q"] = self.text
        return "GET", "/api/tasks", {"params": params}

    def query(self) -> TaskQuery:
        return TaskQuery(
            status=self.status,
            priority=self.priority,
            tags=self.tags,
            due_after=self.due_after,
            due_before=self.due_before,
            text=self.text,
            sort_by=self.sort_by or SortField.DUE_DATE,
            offset=self.offset,
        )


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    ask: Callable[[int, datetime], Ask]  # request number, reference time -> request
    targeted: bool = True  # False: a reference figure, not held to the targets


def _plain(_: int, __: datetime) -> Ask:
    return Ask()


def _filter(i: int, now: datetime) -> Ask:
    start = now - timedelta(days=365) + timedelta(days=(i * 37) % 640)
    return Ask(
        status=TaskStatus.PENDING,
        priority=Priority.HIGH,
        tags=(COMMON_TAGS[i % len(COMMON_TAGS)],),
        due_after=start,
        due_before=start + FILTER_WINDOW,
        sort_by=SortField.PRIORITY,
    )


def _search_get(i: int, _: datetime) -> Ask:
    return Ask(text=SEARCH_WORDS[i % len(SEARCH_WORDS)])


def _search_post(i: int, _: datetime) -> Ask:
    return Ask(
        text=SEARCH_WORDS[(i * 3) % len(SEARCH_WORDS)],
        status=TaskStatus.PENDING,
        tags=(COMMON_TAGS[i % len(COMMON_TAGS)],),
        post=True,
    )


def _deep(i: int, _: datetime) -> Ask:
    return Ask(offset=DEEP_OFFSET + 50 * (i % 10))


SCENARIOS = (
    Scenario("list", "`GET /api/tasks` (default sort: due date; limit 50)", _plain),
    Scenario(
        "filter",
        "`GET /api/tasks?status=pending&priority=high&tags=<common>"
        "&due_after=…&due_before=…&sort_by=priority` (90-day window)",
        _filter,
    ),
    Scenario(ONE_WORD_SEARCH, "`GET /api/tasks?q=<word>`", _search_get),
    Scenario(
        "search (POST)",
        "`POST /api/tasks/search {query: <word>, filters: {status: pending, tags: [<common>]}}`",
        _search_post,
    ),
    Scenario("deep page", "`GET /api/tasks?offset=5000…5450` (default sort)", _deep),
)
