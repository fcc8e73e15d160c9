"""Request and response bodies of the REST API."""

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic.config import JsonDict

from app import task_types as types
from app.chat.service import AssistantName
from app.domain import task_fields
from app.domain.enums import Priority, Recurrence, ReminderStatus, RepeatFrom, TaskStatus
from app.domain.models import AuditLogEntry, DeadLetter
from app.domain.queries import DEFAULT_LIMIT, MAX_LIMIT, SortField, SortOrder
from app.task_views import TaskOut

MESSAGE_MAX = 4000


def _split_tags(raw: list[str]) -> list[str]:
    return task_fields.tags([part for item in raw for part in item.split(",")])


# What the REST API declares beyond the limits the types declare themselves: a tag as written
# (it may carry a leading '#' and surrounding blanks), and the text formats no pattern captures.
_TAG = rf"\s*#?[^\W_][\w\-.:/]{{0,{task_fields.MAX_TAG_LENGTH - 1}}}\s*"
_TAG_TEXT: JsonDict = {"type": "string", "pattern": f"^{_TAG}$"}
_TAG_ITEMS = types.declares(items=_TAG_TEXT)
_TAG_FILTER_ITEMS = types.declares(
    items={**_TAG_TEXT, "description": "A tag; 'a,b' is also read as two tags."}
)
_MOMENT_TEXT = types.declares(format="date-time", pattern=r"^(19\d\d|[2-8]\d{3}|9000)-")
# Strict refuses NUL (and lone surrogates) in any text; a title or a chat message also needs a
# character not blank.
NO_NUL = types.declares(pattern=r"^[^\x00]*$")
_NOT_BLANK = types.declares(pattern=r"^[^\x00]*[^\s\x00][^\x00]*$")
_ZONE_NAMES = types.declares(enum=sorted(available_timezones()))
_RRULE_TEXT = types.declares(format="rrule", description="An RFC 5545 RRULE.")
_OFFSET_TEXT = types.declares(
    format="reminder-offset",
    description="How long before the due date: '30 minutes', '1 day 2 hours', 'PT1H'.",
)

Title = Annotated[types.Title, _NOT_BLANK]
Description = Annotated[types.Description, NO_NUL]
Zone = Annotated[types.Zone, _ZONE_NAMES]
Rule = Annotated[types.Rule, _RRULE_TEXT]
Offset = Annotated[types.Offset, _OFFSET_TEXT]
Moment = Annotated[types.Moment, _MOMENT_TEXT]
Tags = Annotated[types.Tags, _TAG_ITEMS]
TagFilter = Annotated[
    list[str],
    Field(max_length=task_fields.MAX_TAGS),
    AfterValidator(types.checked(_split_tags)),
    _TAG_FILTER_ITEMS,
]
SearchText = Annotated[types.SearchText, NO_NUL]
SortBy = Annotated[
    SortField | None,
    Field(description="Leave out: the most relevant first when searching text, else due_date."),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            if isinstance(text, str):
                types.checked(task_fields.storable)(text)
        return value


class Paging(Strict):
    limit: types.WholeNumber = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: types.PageOffset = 0


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

    title: Annotated[Title | None, types.LEFT_OUT] = None
    description: Annotated[Description | None, types.LEFT_OUT] = None
    due_date: Moment | None = None
    timezone: Annotated[Zone | None, types.LEFT_OUT] = None
    recurrence: Annotated[Recurrence | None, types.LEFT_OUT] = None
    rrule: Rule | None = None
    repeat_from: Annotated[RepeatFrom | None, types.LEFT_OUT] = None
    priority: Annotated[Priority | None, types.LEFT_OUT] = None
    tags: Annotated[Tags | None, types.LEFT_OUT] = None
    status: Annotated[TaskStatus | None, types.LEFT_OUT] = None
    reminder_offset: Offset | None = None

    _not_null = field_validator(*types.KEPT_UNLESS_GIVEN, mode="before")(types.not_null)

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class PriorityBody(Strict):
    priority: Priority


class TagsBody(Strict):
    tags: Annotated[types.SomeTags, _TAG_ITEMS]


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
    sort_by: SortBy = None
    order: SortOrder | None = None


class SearchRequest(Paging):
    query: SearchText | None = None
    filters: TaskFilters = TaskFilters()
    sort_by: SortBy = None
    order: SortOrder | None = None


class SearchResponse(BaseModel):
    results: list[TaskOut]
    total_count: int


class ReminderCreate(Strict):
    task_id: types.TaskId
    reminder_offset: Offset


class ReminderListQuery(Paging):
    task_id: types.TaskId | None = None
    status: ReminderStatus | None = None


class AuditQuery(Paging):
    task_id: types.TaskId | None = None
    event_type: Annotated[str, Field(max_length=64), NO_NUL] | None = None


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
