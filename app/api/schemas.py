"""Request and response bodies of the REST API."""

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from app.chat.service import AssistantName
from app.domain.enums import Priority, Recurrence, ReminderStatus, RepeatFrom, TaskStatus
from app.domain.models import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    AuditLogEntry,
    DeadLetter,
    Reminder,
    Task,
)
from app.domain.offsets import format_offset, parse_offset
from app.domain.queries import DEFAULT_LIMIT, MAX_LIMIT, SortField, SortOrder
from app.domain.recurrence import MAX_RULE_LENGTH, timezone_or_error, validate_rrule
from app.domain.tags import MAX_TAGS, normalize_tags

MAX_ID = 2**31 - 1
MESSAGE_MAX = 4000


def _zone(name: str) -> str:
    timezone_or_error(name)
    return name


def _offset(text: str) -> str:
    return format_offset(parse_offset(text))


def _plausible(moment: datetime) -> datetime:
    if not 1900 <= moment.year <= 9000:
        raise ValueError("a date between the years 1900 and 9000")
    return moment


def _split_tags(raw: list[str]) -> list[str]:
    return normalize_tags([part for item in raw for part in item.split(",")])


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX)]
Description = Annotated[str, Field(max_length=DESCRIPTION_MAX)]
Zone = Annotated[str, Field(max_length=64), AfterValidator(_zone)]
Rule = Annotated[str, Field(max_length=MAX_RULE_LENGTH), AfterValidator(validate_rrule)]
Offset = Annotated[str, Field(max_length=50), AfterValidator(_offset)]
Moment = Annotated[datetime, AfterValidator(_plausible)]
Tags = Annotated[list[str], Field(max_length=MAX_TAGS), AfterValidator(normalize_tags)]
TagFilter = Annotated[list[str], Field(max_length=MAX_TAGS), AfterValidator(_split_tags)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
SearchText = Annotated[str, Field(max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("text cannot contain NUL characters")
        return value


class Paging(Strict):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_ID)


class TaskCreate(Strict):
    title: Title
    description: Description = ""
    due_date: Moment | None = None
    timezone: Zone | None = None
    recurrence: Recurrence | None = None
    rrule: Rule | None = None
    repeat_from: RepeatFrom = RepeatFrom.DUE
    priority: Priority = Priority.MEDIUM
    tags: Tags = []
    reminder_offset: Offset | None = None


class TaskUpdate(Strict):
    """Only the fields given are changed; null clears the fields that may be empty."""

    title: Title | None = None
    description: Description | None = None
    due_date: Moment | None = None
    timezone: Zone | None = None
    recurrence: Recurrence | None = None
    rrule: Rule | None = None
    repeat_from: RepeatFrom | None = None
    priority: Priority | None = None
    tags: Tags | None = None
    status: TaskStatus | None = None
    reminder_offset: Offset | None = None

    @field_validator(
        "title",
        "description",
        "timezone",
        "recurrence",
        "repeat_from",
        "priority",
        "tags",
        "status",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep its value")
        return value

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class PriorityBody(Strict):
    priority: Priority


class TagsBody(Strict):
    tags: Annotated[Tags, Field(min_length=1)]


class TaskFilters(Strict):
    status: TaskStatus | None = None
    priority: Priority | None = None
    tags: TagFilter = []
    due_before: Moment | None = None
    due_after: Moment | None = None


class TaskListQuery(TaskFilters, Paging):
    q: SearchText | None = None
    sort_by: SortField = SortField.DUE_DATE
    order: SortOrder | None = None


class SearchRequest(Paging):
    query: SearchText | None = None
    filters: TaskFilters = TaskFilters()
    sort_by: SortField = SortField.DUE_DATE
    order: SortOrder | None = None


class TaskOut(BaseModel):
    id: int
    title: str
    description: str
    due_date: datetime | None
    timezone: str
    recurrence: Recurrence
    rrule: str | None
    repeat_from: RepeatFrom
    priority: Priority
    tags: list[str]
    status: TaskStatus
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    parent_task_id: int | None
    reminder_offset: str | None

    @classmethod
    def of(cls, task: Task) -> "TaskOut":
        out = cls.model_validate(task, from_attributes=True)
        if out.due_date is not None:
            out.due_date = out.due_date.astimezone(ZoneInfo(task.timezone))
        return out


class SearchResponse(BaseModel):
    results: list[TaskOut]
    total_count: int


class ReminderCreate(Strict):
    task_id: Id
    reminder_offset: Offset


class ReminderListQuery(Paging):
    task_id: Id | None = None
    status: ReminderStatus | None = None


class ReminderOut(BaseModel):
    id: int
    task_id: int
    reminder_offset: str
    scheduled_at: datetime
    reminder_type: str = Field(
        description="How the reminder reaches its owner: 'websocket', a toast in every open tab."
    )
    status: ReminderStatus
    retry_count: int = Field(
        description="How many times delivering this reminder had to be tried again: a trigger "
        "that failed (the event bus could not be reached) and was retried, or a job the "
        "scheduler lost that the reconciliation sweep armed again. 0 when it went out at the "
        "first attempt."
    )
    late: bool
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, reminder: Reminder) -> "ReminderOut":
        return cls.model_validate(reminder, from_attributes=True)


class AuditQuery(Paging):
    task_id: Id | None = None
    event_type: Annotated[str, Field(max_length=64)] | None = None


class AuditOut(BaseModel):
    id: int
    event_id: str
    event_type: str
    topic: str
    task_id: int | None
    data: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime

    @classmethod
    def of(cls, entry: AuditLogEntry) -> "AuditOut":
        return cls.model_validate(entry, from_attributes=True)


class DeadLetterQuery(Paging):
    replayed: bool | None = Field(
        None, description="true: replayed ones only; false: those still waiting; leave out: all."
    )


class DeadLetterOut(BaseModel):
    """An event a handler rejected as malformed, set aside until an operator replays it."""

    id: int
    event_id: str
    topic: str = Field(description="The topic it was published to, and is replayed to.")
    payload: dict[str, Any]
    error: str = Field(description="Why it was set aside.")
    created_at: datetime
    replayed_at: datetime | None

    @classmethod
    def of(cls, letter: DeadLetter) -> "DeadLetterOut":
        return cls.model_validate(letter, from_attributes=True)


class Health(BaseModel):
    status: str
    runtime: str
    checks: dict[str, str]


ConversationId = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Continue this conversation; leave out to start a new one.",
    ),
]


class ChatRequest(Strict):
    message: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MESSAGE_MAX)
    ]
    conversation_id: ConversationId | None = None


class ChatAction(BaseModel):
    """One tool the assistant called, with what it was given and what it returned: `{task}`,
    `{tasks, total}`, `{deleted}`, `{reminder}`, `{reminders}`, or `{error}` saying what went
    wrong."""

    tool: str
    arguments: dict[str, Any]
    result: dict[str, Any]


class ChatResponse(BaseModel):
    response: str = Field(description="The assistant's reply: what it did, or what it asks.")
    conversation_id: str
    actions: list[ChatAction] = Field(description="The tool calls made, in order.")
    assistant: AssistantName = Field(
        description="Who answered: Gemini, or the offline assistant (no key, or Gemini failed)."
    )
