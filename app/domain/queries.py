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
    sort_by: SortField = SortField.DUE_DATE
    order: SortOrder | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    @property
    def effective_order(self) -> SortOrder:
        return self.order or DEFAULT_ORDER[self.sort_by]
