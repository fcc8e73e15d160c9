"""What a task listing asks for: filters, free text, sort and page."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.domain.enums import Priority, TaskStatus


class SortField(StrEnum):
    DUE_DATE = "due_date"
    PRIORITY = "priority"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    TITLE = "title"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


# Without an explicit order, soonest due and highest priority and newest come first.
DEFAULT_ORDER = {
    SortField.DUE_DATE: SortOrder.ASC,
    SortField.TITLE: SortOrder.ASC,
    SortField.PRIORITY: SortOrder.DESC,
    SortField.CREATED_AT: SortOrder.DESC,
    SortField.UPDATED_AT: SortOrder.DESC,
}

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class TaskQuery:
    status: TaskStatus | None = None
    priority: Priority | None = None
    tags: tuple[str, ...] = ()
    due_before: datetime | None = None
    due_after: datetime | None = None
    text: str | None = None
    # None: the most relevant first when there is text to match, else by due date.
    sort_by: SortField | None = None
    order: SortOrder | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    @property
    def ranked(self) -> bool:
        """Whether the matches come most relevant first (no sort asked, text given)."""
        return self.sort_by is None and self.text is not None

    @property
    def sort_field(self) -> SortField:
        """What the page is ordered by, or, when ranked, what orders equally relevant tasks."""
        return self.sort_by or SortField.DUE_DATE

    @property
    def effective_order(self) -> SortOrder:
        return self.order or DEFAULT_ORDER[self.sort_field]
