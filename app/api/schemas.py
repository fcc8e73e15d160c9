"""Request and response bodies of the REST API."""

import re
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from app.chat.service import AssistantName
from app.domain.enums import Priority, Recurrence, ReminderStatus, RepeatFrom, TaskStatus
from app.domain.models import AuditLogEntry, DeadLetter, Reminder, Task
from app.domain.offsets import MAX_OFFSET_TEXT, format_offset, parse_offset
from app.domain.queries import DEFAULT_LIMIT, MAX_LIMIT, SortField, SortOrder
from app.domain.recurrence import MAX_RULE_LENGTH, timezone_or_error, validate_rrule
from app.domain.tags import MAX_TAG_LENGTH, MAX_TAGS, normalize_tags
from app.domain.task_fields import DESCRIPTION_MAX, MAX_ID, TITLE_MAX

MESSAGE_MAX = 4000


def _zone(name: str) -> str:
    timezone_or_error(name)
    return name


def _offset(text: str) -> str:
    return format_offset(parse_offset(text))


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a whole number, not true or false")
    return value


def _moment_text(value: Any) -> Any:
    if isinstance(value, datetime) or (isinstance(value, str) and _MOMENT.fullmatch(value)):
        return value
    raise ValueError("a date and time such as 2026-03-01T09:00:00+01:00")


def _plausible(moment: datetime) -> datetime:
    if not 1900 <= moment.year <= 9000:
        raise ValueError("a date between the years 1900 and 9000")
    return moment


def _split_tags(raw: list[str]) -> list[str]:
    return normalize_tags([part for item in raw for part in item.split(",")])


# What the validators below accept, declared in the OpenAPI document: a tag as written (it may
# carry a leading '#' and surrounding blanks), and the text formats no pattern can capture.
_TAG = rf"\s*#?[^\W_][\w\-.:/]{{0,{MAX_TAG_LENGTH - 1}}}\s*"
_TAG_TEXT = WithJsonSchema({"type": "string", "pattern": f"^{_TAG}$"})
_TAG_FILTER_TEXT = WithJsonSchema(
    {
        "type": "string",
        "pattern": f"^{_TAG}$",
        "description": "A tag; 'a,b' is also read as two tags.",
    }
)
_MOMENT = re.compile(
    r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(:\d\d(\.\d+)?)?([Zz]|[+-]\d\d:\d\d)?", re.ASCII
)
_MOMENT_TEXT = WithJsonSchema(
    {"type": "string", "format": "date-time", "pattern": r"^(19\d\d|[2-8]\d{3}|9000)-"}
)
# Strict refuses NUL in any text; a title or a chat message also needs a character not blank.
_NO_NUL = Field(json_schema_extra={"pattern": r"^[^\x00]*$"})
_NOT_BLANK = Field(json_schema_extra={"pattern": r"^[^\x00]*[^\s\x00][^\x00]*$"})
_ZONE_NAMES = WithJsonSchema({"type": "string", "enum": sorted(available_timezones())})
_RRULE_TEXT = WithJsonSchema(
    {
        "type": "string",
        "format": "rrule",
        "maxLength": MAX_RULE_LENGTH,
        "description": "An RFC 5545 RRULE.",
    }
)
_OFFSET_TEXT = WithJsonSchema(
    {
        "type": "string",
        "format": "reminder-offset",
        "maxLength": MAX_OFFSET_TEXT,
        "description": "How long before the due date: '30 minutes', '1 day 2 hours', 'PT1H'.",
    }
)

Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX),
    _NOT_BLANK,
]
Description = Annotated[str, Field(max_length=DESCRIPTION_MAX), _NO_NUL]
Zone = Annotated[str, Field(max_length=64), AfterValidator(_zone), _ZONE_NAMES]
Rule = Annotated[
    str, Field(max_length=MAX_RULE_LENGTH), AfterValidator(validate_rrule), _RRULE_TEXT
]
Offset = Annotated[str, Field(max_length=MAX_OFFSET_TEXT), AfterValidator(_offset), _OFFSET_TEXT]
Moment = Annotated[
    datetime, BeforeValidator(_moment_text), AfterValidator(_plausible), _MOMENT_TEXT
]
Tags = Annotated[
    list[Annotated[str, _TAG_TEXT]], Field(max_length=MAX_TAGS), AfterValidator(normalize_tags)
]
TagFilter = Annotated[
    list[Annotated[str, _TAG_FILTER_TEXT]],
    Field(max_length=MAX_TAGS),
    AfterValidator(_split_tags),
]
Count = Annotated[int, BeforeValidator(_number)]
Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_number)]
SearchText = Annotated[str, Field(max_length=200), _NO_NUL]


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
    limit: Count = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: Count = Field(0, ge=0, le=MAX_ID)


# An rrule goes with recurrence "custom" (or none given); "custom" needs an rrule in a new task,
# and cannot be set while clearing the rrule.
_RRULE_IS_CUSTOM: JsonDict = {
    "anyOf": [
        {"properties": {"rrule": {"type": "null"}}},
        {"properties": {"recurrence": {"enum": [Recurrence.CUSTOM.value, None]}}},
    ]
}
_NOT_CUSTOM: JsonDict = {"properties": {"recurrence": {"not": {"const": Recurrence.CUSTOM.value}}}}
_RRULE_TEXT_IF_GIVEN: JsonDict = {"properties": {"rrule": {"type": "string"}}}
_CUSTOM_HAS_RRULE: JsonDict = {
    "anyOf": [_NOT_CUSTOM, {"required": ["rrule"], **_RRULE_TEXT_IF_GIVEN}]
}
_CUSTOM_KEEPS_RRULE: JsonDict = {"anyOf": [_NOT_CUSTOM, _RRULE_TEXT_IF_GIVEN]}


class TaskCreate(Strict):
    model_config = ConfigDict(json_schema_extra={"allOf": [_RRULE_IS_CUSTOM, _CUSTOM_HAS_RRULE]})

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

    model_config = ConfigDict(json_schema_extra={"allOf": [_RRULE_IS_CUSTOM, _CUSTOM_KEEPS_RRULE]})

    title: Title | SkipJsonSchema[None] = None
    description: Description | SkipJsonSchema[None] = None
    due_date: Moment | None = None
    timezone: Zone | SkipJsonSchema[None] = None
    recurrence: Recurrence | SkipJsonSchema[None] = None
    rrule: Rule | None = None
    repeat_from: RepeatFrom | SkipJsonSchema[None] = None
    priority: Priority | SkipJsonSchema[None] = None
    tags: Tags | SkipJsonSchema[None] = None
    status: TaskStatus | SkipJsonSchema[None] = None
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


# The only query parameter that may be given more than once; other repeated ones are refused.
LIST_QUERY_PARAMETERS = frozenset({"tags"})


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
    event_type: Annotated[str, Field(max_length=64), _NO_NUL] | None = None


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
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=MESSAGE_MAX),
        _NOT_BLANK,
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
