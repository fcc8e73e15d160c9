"""A task's fields as pydantic types, for the doors that take a task as JSON: the REST schemas and
the chat tools' arguments (offline, Gemini, MCP). Each runs its check from app.domain.task_fields,
so it refuses what the editor refuses with the same message, and declares its limits in the JSON
schema it is given."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from app.domain import task_fields as fields

Value = TypeVar("Value")


def refusal(error: ValueError) -> PydanticCustomError:
    """A field's check failing, its message as it is (no "Value error, " before it)."""
    return PydanticCustomError("value_error", "{reason}", {"reason": str(error)})


def checked(check: Callable[[Value], Value]) -> Callable[[Value], Value]:
    def validate(value: Value) -> Value:
        try:
            return check(value)
        except ValueError as error:
            raise refusal(error) from None

    return validate


def declares(**keywords: Any) -> FieldInfo:
    """JSON schema keywords for what a check enforces (merged with the type's own)."""
    return Field(json_schema_extra=keywords)


def _whole_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "a whole number, not true or false")
    return value


def _moment_text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    return checked(fields.moment_text)(value if isinstance(value, str) else "")


Title = Annotated[
    str,
    AfterValidator(checked(fields.title)),
    declares(minLength=1, maxLength=fields.TITLE_MAX),
]
Description = Annotated[
    str, AfterValidator(checked(fields.description)), declares(maxLength=fields.DESCRIPTION_MAX)
]
Moment = Annotated[
    datetime, BeforeValidator(_moment_text), AfterValidator(checked(fields.due_date))
]
Zone = Annotated[
    str, AfterValidator(checked(fields.timezone)), declares(maxLength=fields.TIMEZONE_MAX)
]
Rule = Annotated[
    str, AfterValidator(checked(fields.rrule)), declares(maxLength=fields.MAX_RULE_LENGTH)
]
Offset = Annotated[
    str,
    AfterValidator(checked(fields.reminder_offset)),
    declares(maxLength=fields.MAX_OFFSET_TEXT),
]
Tags = Annotated[
    list[str], AfterValidator(checked(fields.tags)), declares(maxItems=fields.MAX_TAGS)
]
SomeTags = Annotated[
    list[str],
    AfterValidator(checked(fields.some_tags)),
    declares(minItems=1, maxItems=fields.MAX_TAGS),
]
# JSON true and false are no numbers here.
WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
TaskId = Annotated[
    WholeNumber,
    AfterValidator(checked(fields.task_id)),
    declares(minimum=1, maximum=fields.MAX_ID),
]
SearchText = Annotated[
    str, AfterValidator(checked(fields.search_text)), declares(maxLength=fields.SEARCH_TEXT_MAX)
]
# How many matches a page skips.
PageOffset = Annotated[int, Field(ge=0, le=fields.MAX_ID), BeforeValidator(_whole_number)]


def _given_only(schema: dict[str, Any]) -> None:
    [kind] = [kind for kind in schema.pop("anyOf") if kind.get("type") != "null"]
    schema.update(kind)
    if schema.get("default", ...) is None:
        del schema["default"]


# On an optional `X | None` field: None stands for a field left out, and the JSON schema shows
# only X (a client gives the field, or leaves it out).
LEFT_OUT = Field(json_schema_extra=_given_only)


def not_null(value: Any) -> Any:
    """For a field an update may leave out but not clear (see task_fields.CLEARABLE)."""
    if value is None:
        raise refusal(ValueError(fields.NOT_NULL))
    return value


# The fields an update can only leave out, not clear: for a model's field_validator.
KEPT_UNLESS_GIVEN = tuple(sorted(fields.EDITABLE - fields.CLEARABLE))
