"""One definition of a task's fields: the REST schemas, the chat tools and the editor refuse the
same bad values with the same message, and declare the same limits."""

from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from app.api.schemas import ReminderCreate, TagsBody, TaskCreate, TaskUpdate
from app.chat.tool_args import AddTask, ChangeTags, OneTask, UpdateTask, json_schema
from app.chat.tools import describe_error
from app.domain import task_fields
from app.services.errors import Invalid
from app.ui.state.editor import form_fields


@dataclass(frozen=True)
class Case:
    """A bad value of `name`, as the API and the chat tools take it and as the editor's form
    holds it (None: that door has no such field)."""

    name: str
    value: Any
    says: str
    form: dict[str, str] | None
    api: type[BaseModel] = TaskCreate
    chat: type[BaseModel] | None = AddTask
    given: dict[str, Any] = field(default_factory=lambda: {"title": "ok"})
    chat_given: dict[str, Any] | None = None


MANY_TAGS = [f"t{number}" for number in range(task_fields.MAX_TAGS + 1)]
CASES = {
    "title-empty": Case("title", "", "give the task a title", {"title": ""}, given={}),
    "title-blank": Case("title", "   ", "give the task a title", {"title": "   "}, given={}),
    "title-too-long": Case(
        "title", "x" * 501, "at most 500 characters", {"title": "x" * 501}, given={}
    ),
    "title-nul": Case("title", "a\x00b", "NUL", {"title": "a\x00b"}, given={}),
    "title-lone-surrogate": Case(
        "title", "x \ud800", "lone surrogates", {"title": "x \ud800"}, given={}
    ),
    "description-too-long": Case(
        "description", "d" * 10_001, "at most 10,000 characters", {"description": "d" * 10_001}
    ),
    "description-nul": Case("description", "a\x00", "NUL", {"description": "a\x00"}),
    "due_date-words": Case("due_date", "tomorrow", "a date and time such as", {"due": "tomorrow"}),
    "due_date-year-1800": Case(
        "due_date",
        "1800-01-01T00:00",
        "between the years 1900 and 9000",
        {"due": "1800-01-01T00:00"},
    ),
    "due_date-year-9001": Case(
        "due_date",
        "9001-01-01T00:00",
        "between the years 1900 and 9000",
        {"due": "9001-01-01T00:00"},
    ),
    "timezone-unknown": Case(
        "timezone", "Mars/Olympus", "unknown time zone", {"timezone": "Mars/Olympus"}, chat=None
    ),
    "timezone-too-long": Case(
        "timezone", "x" * 65, "at most 64 characters", {"timezone": "x" * 65}, chat=None
    ),
    "tags-space": Case("tags", ["a b"], "must start with a letter", {"tags": "a b"}),
    "tags-too-long": Case("tags", ["t" * 51], "at most 50 characters", {"tags": "t" * 51}),
    "tags-too-many": Case("tags", MANY_TAGS, "at most 50 tags", {"tags": ",".join(MANY_TAGS)}),
    "tags-none-to-add": Case(
        "tags",
        [],
        "give at least one tag",
        None,
        api=TagsBody,
        chat=ChangeTags,
        given={},
        chat_given={"task_id": 1},
    ),
    "rrule-hourly": Case(
        "rrule",
        "FREQ=HOURLY",
        "a task repeats at most daily",
        {"recurrence": "custom", "rrule": "FREQ=HOURLY"},
    ),
    "rrule-garbage": Case(
        "rrule", "every monday", "NAME=VALUE", {"recurrence": "custom", "rrule": "every monday"}
    ),
    "rrule-too-long": Case(
        "rrule",
        "FREQ=DAILY;" * 50,
        "at most 500 characters",
        {"recurrence": "custom", "rrule": "FREQ=DAILY;" * 50},
    ),
    "offset-soon": Case(
        "reminder_offset", "soon", "cannot read reminder offset", {"reminder_offset": "soon"}
    ),
    "offset-over-a-year": Case(
        "reminder_offset", "366 days", "at most 365 days", {"reminder_offset": "366 days"}
    ),
    "offset-too-long": Case(
        "reminder_offset", "1 hour" * 9, "at most 50 characters", {"reminder_offset": "1 hour" * 9}
    ),
    "task_id-zero": Case(
        "task_id",
        0,
        "from 1 to 2147483647",
        None,
        api=ReminderCreate,
        chat=OneTask,
        given={"reminder_offset": "1 hour"},
        chat_given={},
    ),
    "task_id-too-large": Case(
        "task_id",
        2**31,
        "from 1 to 2147483647",
        None,
        api=ReminderCreate,
        chat=OneTask,
        given={"reminder_offset": "1 hour"},
        chat_given={},
    ),
    "task_id-true": Case(
        "task_id",
        True,
        "not true or false",
        None,
        api=ReminderCreate,
        chat=OneTask,
        given={"reminder_offset": "1 hour"},
        chat_given={},
    ),
    "title-null-in-an-update": Case(
        "title",
        None,
        task_fields.NOT_NULL,
        None,
        api=TaskUpdate,
        chat=UpdateTask,
        given={},
        chat_given={"task_id": 1},
    ),
}


def api_message(case: Case) -> str:
    with pytest.raises(ValidationError) as raised:
        case.api.model_validate({**case.given, case.name: case.value})
    [message] = [error["msg"] for error in raised.value.errors() if error["loc"][0] == case.name]
    return message


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_every_door_refuses_a_bad_value_with_the_same_message(case: Case) -> None:
    message = api_message(case)
    assert case.says in message

    if case.chat is not None:
        chat_given = case.given if case.chat_given is None else case.chat_given
        with pytest.raises(ValidationError) as raised:
            case.chat.model_validate({**chat_given, case.name: case.value})
        assert describe_error(raised.value) == f"{case.name}: {message}"

    if case.form is not None:
        with pytest.raises(Invalid) as refused:
            form_fields({"title": "ok", **case.form}, "UTC")
        assert (refused.value.field, str(refused.value)) == (case.name, message)


def test_a_custom_repeat_without_a_rule_is_refused_in_the_words_of_the_domain() -> None:
    with pytest.raises(Invalid) as refused:
        form_fields({"title": "ok", "recurrence": "custom", "rrule": " "}, "UTC")
    assert (refused.value.field, str(refused.value)) == ("rrule", task_fields.CUSTOM_NEEDS_RRULE)


def test_every_door_hands_on_the_canonical_forms() -> None:
    given = {
        "title": "  Pay rent ",
        "tags": ["#Home", "home", "Bills"],
        "rrule": "rrule:freq=monthly",
        "reminder_offset": "1h",
    }
    form = {
        "title": "  Pay rent ",
        "tags": "#Home, home, Bills",
        "recurrence": "custom",
        "rrule": "rrule:freq=monthly",
        "reminder_offset": "1h",
        "due": "2031-03-01T09:00",
    }
    wanted = {
        "title": "Pay rent",
        "tags": ["home", "bills"],
        "rrule": "FREQ=MONTHLY",
        "reminder_offset": "1 hour",
    }

    api = TaskCreate.model_validate(given).model_dump(include=set(wanted))
    chat = AddTask.model_validate(given).model_dump(include=set(wanted))
    editor = {name: value for name, value in form_fields(form, "UTC").items() if name in wanted}

    assert api == chat == editor == wanted


LIMITS = [
    ("title", "maxLength", task_fields.TITLE_MAX),
    ("title", "minLength", 1),
    ("description", "maxLength", task_fields.DESCRIPTION_MAX),
    ("rrule", "maxLength", task_fields.MAX_RULE_LENGTH),
    ("reminder_offset", "maxLength", task_fields.MAX_OFFSET_TEXT),
    ("tags", "maxItems", task_fields.MAX_TAGS),
]


def _declared(schema: dict[str, Any], name: str, keyword: str) -> Any:
    declared = schema["properties"][name]
    for kind in declared.get("anyOf", [declared]):
        if keyword in kind:
            return kind[keyword]
    return declared.get(keyword)


@pytest.mark.parametrize(("name", "keyword", "limit"), LIMITS)
def test_the_api_and_the_chat_tools_declare_the_same_limits(
    name: str, keyword: str, limit: int
) -> None:
    api = TaskCreate.model_json_schema()
    chat = json_schema(AddTask)

    assert _declared(api, name, keyword) == _declared(chat, name, keyword) == limit


def test_task_ids_are_declared_alike() -> None:
    api = ReminderCreate.model_json_schema()["properties"]["task_id"]
    chat = json_schema(OneTask)["properties"]["task_id"]

    assert (api["minimum"], api["maximum"]) == (chat["minimum"], chat["maximum"])
    assert chat["maximum"] == task_fields.MAX_ID
