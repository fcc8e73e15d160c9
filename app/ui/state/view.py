"""A board view (filters, search, sort, page) and its form in the URL's query string, so a
view can be bookmarked and a reload restores it."""

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from app.domain.enums import Priority, TaskStatus
from app.domain.queries import DEFAULT_ORDER, SortField, SortOrder, TaskQuery
from app.domain.tags import normalize_tag
from app.domain.task_fields import FIRST_YEAR, LAST_YEAR

PAGE_SIZE = 25
MAX_PAGE = 100_000
MAX_SEARCH = 200
ALL = "all"
ANY = "any"
STATUSES = (TaskStatus.PENDING.value, TaskStatus.COMPLETED.value, ALL)
PRIORITIES = (ANY, *(priority.value for priority in Priority))


@dataclasses.dataclass(frozen=True)
class View:
    status: str = TaskStatus.PENDING.value
    priority: str = ANY
    tags: str = ""
    due_from: str = ""
    due_to: str = ""
    search: str = ""
    sort_by: str = SortField.DUE_DATE.value
    order: str = DEFAULT_ORDER[SortField.DUE_DATE].value
    page: int = 1

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> "View":
        """The view a URL asks for; what it gets wrong falls back to the default."""
        default = cls()
        sort_by = _choice(params.get("sort_by"), [f.value for f in SortField], default.sort_by)
        order = _choice(
            params.get("order"),
            [o.value for o in SortOrder],
            DEFAULT_ORDER[SortField(sort_by)].value,
        )
        page = params.get("page", "")
        return cls(
            status=_choice(params.get("status"), STATUSES, default.status),
            priority=_choice(params.get("priority"), PRIORITIES, default.priority),
            tags=", ".join(tag_list(params.get("tags", ""))),
            due_from=date_text(params.get("due_from", "")),
            due_to=date_text(params.get("due_to", "")),
            search=params.get("q", "")[:MAX_SEARCH],
            sort_by=sort_by,
            order=order,
            page=min(int(page), MAX_PAGE) if page.isdigit() and int(page) > 0 else 1,
        )

    def query_string(self) -> str:
        """Only what differs from the default view, so the plain board is plain `/`."""
        default = View(order=DEFAULT_ORDER[SortField(self.sort_by)].value)
        params = {
            "status": self.status,
            "priority": self.priority,
            "tags": ",".join(tag_list(self.tags)),
            "due_from": self.due_from,
            "due_to": self.due_to,
            "q": self.search.strip(),
            "sort_by": self.sort_by,
            "order": self.order,
            "page": str(self.page),
        }
        defaults = {**dataclasses.asdict(default), "page": "1", "q": "", "tags": ""}
        kept = {name: value for name, value in params.items() if value != defaults.get(name)}
        return urlencode(kept)

    def task_query(self, zone: str) -> TaskQuery:
        """The listing query; dates are whole days on the wall clock of `zone`."""
        due_after = _day_start(self.due_from, zone)
        due_before = _day_start(self.due_to, zone, days_later=1)
        return TaskQuery(
            status=TaskStatus(self.status) if self.status != ALL else None,
            priority=Priority(self.priority) if self.priority != ANY else None,
            tags=tuple(tag_list(self.tags)),
            due_after=due_after - timedelta(microseconds=1) if due_after else None,
            due_before=due_before,
            text=self.search.strip() or None,
            sort_by=SortField(self.sort_by),
            order=SortOrder(self.order),
            limit=PAGE_SIZE,
            offset=(self.page - 1) * PAGE_SIZE,
        )

    @property
    def filtered(self) -> bool:
        return dataclasses.replace(self, sort_by=View.sort_by, order=View.order, page=1) != View()


def page_count(total: int) -> int:
    """How many pages `total` tasks fill (an empty board still has its one page)."""
    return max(1, -(-total // PAGE_SIZE))


def tag_list(text: str) -> list[str]:
    """The well-formed tags of a comma- or space-separated list."""
    tags: list[str] = []
    for part in text.replace(",", " ").split():
        try:
            tag = normalize_tag(part)
        except ValueError:
            continue
        if tag not in tags:
            tags.append(tag)
    return tags


def _choice(value: str | None, allowed: list[str] | tuple[str, ...], default: str) -> str:
    return value if value is not None and value in allowed else default


def date_text(text: str) -> str:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return ""
    return day.isoformat() if FIRST_YEAR <= day.year <= LAST_YEAR else ""


def _day_start(text: str, zone: str, days_later: int = 0) -> datetime | None:
    if not text:
        return None
    day = date.fromisoformat(text) + timedelta(days=days_later)
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone))
