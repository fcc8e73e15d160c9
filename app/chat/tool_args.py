"""The arguments of each chat tool: validated on every call, and the source of its JSON schema."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
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
    description: Annotated[types.Description | None, types.LEFT_OUT] = None
    due_date: Annotated[Moment | None, types.LEFT_OUT] = None
    recurrence: Annotated[
        Annotated[
            RecurrenceName,
            Field(description="How the task repeats; 'custom' needs rrule. Needs a due date."),
        ]
        | None,
        types.LEFT_OUT,
    ] = None
    rrule: Annotated[Rule | None, types.LEFT_OUT] = None
    repeat_from: Annotated[
        Annotated[
            RepeatFromName,
            Field(description="Count the next occurrence from the due date or the completion."),
        ]
        | None,
        types.LEFT_OUT,
    ] = None
    priority: Annotated[PriorityName | None, types.LEFT_OUT] = None
    tags: Annotated[TagList | None, types.LEFT_OUT] = None
    reminder_offset: Annotated[Offset | None, types.LEFT_OUT] = None


class ListTasks(Arguments):
    query: Annotated[
        Annotated[types.SearchText, Field(description="Text the title or description contains.")]
        | None,
        types.LEFT_OUT,
    ] = None
    status: Annotated[StatusName | None, types.LEFT_OUT] = None
    priority: Annotated[PriorityName | None, types.LEFT_OUT] = None
    tags: Annotated[
        Annotated[TagList, Field(description="Every one of these tags.")] | None, types.LEFT_OUT
    ] = None
    due_before: Annotated[Moment | None, types.LEFT_OUT] = None
    due_after: Annotated[Moment | None, types.LEFT_OUT] = None
    sort_by: SortName = "due_date"
    order: Annotated[Literal["asc", "desc"] | None, types.LEFT_OUT] = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIST_LIMIT)] = LIST_LIMIT
    offset: types.PageOffset = 0


class OneTask(Arguments):
    task_id: TaskId


class SeveralTasks(Arguments):
    task_ids: Annotated[
        list[TaskId],
        Field(min_length=1, max_length=MAX_LIST_LIMIT, description="The tasks' ids."),
    ]


class UpdateTask(OneTask):
    """Only the fields given change; null clears due_date, rrule or reminder_offset."""

    title: Annotated[types.Title | None, types.LEFT_OUT] = None
    description: Annotated[types.Description | None, types.LEFT_OUT] = None
    due_date: Moment | None = None
    recurrence: Annotated[RecurrenceName | None, types.LEFT_OUT] = None
    rrule: Rule | None = None
    repeat_from: Annotated[RepeatFromName | None, types.LEFT_OUT] = None
    priority: Annotated[PriorityName | None, types.LEFT_OUT] = None
    tags: Annotated[
        Annotated[types.Tags, Field(description="Replaces all tags.")] | None, types.LEFT_OUT
    ] = None
    reminder_offset: Offset | None = None
    status: Annotated[
        Annotated[StatusName, Field(description="'pending' reopens a completed task.")] | None,
        types.LEFT_OUT,
    ] = None

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
    task_id: Annotated[TaskId | None, types.LEFT_OUT] = None
    status: Annotated[Literal["pending", "sent", "cancelled", "failed"] | None, types.LEFT_OUT] = (
        None
    )


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
