"""The arguments of each chat tool: validated on every call, and the source of its JSON schema."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, SkipJsonSchema
from pydantic_core import core_schema

from app import task_types as types

LIST_LIMIT = 20
# A page an assistant reads whole, and that is kept in the conversation's history.
MAX_LIST_LIMIT = 100

PriorityName = Literal["low", "medium", "high"]
StatusName = Literal["pending", "completed"]
RecurrenceName = Literal["none", "daily", "weekly", "monthly", "custom"]
RepeatFromName = Literal["due", "completion"]
SortName = Literal["due_date", "priority", "created_at", "updated_at", "title"]

TaskId = Annotated[types.TaskId, Field(description="The task's id.")]
Moment = Annotated[
    types.Moment,
    Field(description="ISO 8601; without an offset it is read in the task's time zone."),
]
TagList = Annotated[types.Tags, Field(description="Tags: single words, e.g. 'home'.")]
Offset = Annotated[
    types.Offset, Field(description="How long before the due date, e.g. '1 hour', '2 days'.")
]
Rule = Annotated[types.Rule, Field(description="RFC 5545 rule, e.g. 'FREQ=WEEKLY;BYDAY=MO,TH'.")]


class Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddTask(Arguments):
    title: Annotated[types.Title, Field(description="What is to be done.")]
    description: types.Description | SkipJsonSchema[None] = None
    due_date: Moment | SkipJsonSchema[None] = None
    recurrence: (
        Annotated[
            RecurrenceName,
            Field(description="How the task repeats; 'custom' needs rrule. Needs a due date."),
        ]
        | SkipJsonSchema[None]
    ) = None
    rrule: Rule | SkipJsonSchema[None] = None
    repeat_from: (
        Annotated[
            RepeatFromName,
            Field(description="Count the next occurrence from the due date or the completion."),
        ]
        | SkipJsonSchema[None]
    ) = None
    priority: PriorityName | SkipJsonSchema[None] = None
    tags: TagList | SkipJsonSchema[None] = None
    reminder_offset: Offset | SkipJsonSchema[None] = None


class ListTasks(Arguments):
    query: (
        Annotated[types.SearchText, Field(description="Text the title or description contains.")]
        | SkipJsonSchema[None]
    ) = None
    status: StatusName | SkipJsonSchema[None] = None
    priority: PriorityName | SkipJsonSchema[None] = None
    tags: (
        Annotated[TagList, Field(description="Every one of these tags.")] | SkipJsonSchema[None]
    ) = None
    due_before: Moment | SkipJsonSchema[None] = None
    due_after: Moment | SkipJsonSchema[None] = None
    sort_by: SortName = "due_date"
    order: Literal["asc", "desc"] | SkipJsonSchema[None] = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIST_LIMIT)] = LIST_LIMIT
    offset: types.PageOffset = 0


class OneTask(Arguments):
    task_id: TaskId


class UpdateTask(OneTask):
    """Only the fields given change; null clears due_date, rrule or reminder_offset."""

    title: types.Title | SkipJsonSchema[None] = None
    description: types.Description | SkipJsonSchema[None] = None
    due_date: Moment | None = None
    recurrence: RecurrenceName | SkipJsonSchema[None] = None
    rrule: Rule | None = None
    repeat_from: RepeatFromName | SkipJsonSchema[None] = None
    priority: PriorityName | SkipJsonSchema[None] = None
    tags: Annotated[types.Tags, Field(description="Replaces all tags.")] | SkipJsonSchema[None] = (
        None
    )
    reminder_offset: Offset | None = None
    status: (
        Annotated[StatusName, Field(description="'pending' reopens a completed task.")]
        | SkipJsonSchema[None]
    ) = None

    _not_null = field_validator(*types.KEPT_UNLESS_GIVEN, mode="before", check_fields=False)(
        types.not_null
    )

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set - {"task_id"}}


class SetPriority(OneTask):
    priority: PriorityName


class ChangeTags(OneTask):
    tags: Annotated[types.SomeTags, Field(description="Tags: single words, e.g. 'home'.")]


class AddReminder(OneTask):
    reminder_offset: Offset


class ListReminders(Arguments):
    task_id: TaskId | SkipJsonSchema[None] = None
    status: Literal["pending", "sent", "cancelled", "failed"] | SkipJsonSchema[None] = None


class _NoTitles(GenerateJsonSchema):
    """Schemas as a model reads them: no generated titles, no defaults of null."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        generated = super().default_schema(schema)
        if generated.get("default", ...) is None:
            del generated["default"]
        return generated


def json_schema(model: type[Arguments]) -> dict[str, Any]:
    schema = model.model_json_schema(schema_generator=_NoTitles)
    schema.pop("title", None)
    schema.pop("description", None)
    return schema
