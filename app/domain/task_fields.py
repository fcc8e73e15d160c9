"""A task's fields: what each holds, its limits, and what is said when a value breaks them.

Every door that takes a task checks its fields here: the REST schemas and the chat tools through
the pydantic types of app.task_types, the editor directly. So all of them accept the same values
and refuse the others with the same message. Each check returns the value in its canonical form
or raises ValueError with that message.
"""

import re
from datetime import datetime

from app.domain.offsets import MAX_OFFSET_TEXT, format_offset, parse_offset
from app.domain.recurrence import LAST_YEAR, MAX_RULE_LENGTH, timezone_or_error, validate_rrule
from app.domain.tags import MAX_TAG_LENGTH, MAX_TAGS, normalize_tags

__all__ = [
    "CLEARABLE",
    "CUSTOM_NEEDS_RRULE",
    "DESCRIPTION_MAX",
    "EDITABLE",
    "FIRST_YEAR",
    "LAST_YEAR",
    "MAX_ID",
    "MAX_OFFSET_TEXT",
    "MAX_RULE_LENGTH",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "NOT_NULL",
    "NO_NUL",
    "SEARCH_TEXT_MAX",
    "TIMEZONE_MAX",
    "TITLE_MAX",
    "description",
    "due_date",
    "moment_text",
    "reminder_offset",
    "rrule",
    "search_text",
    "some_tags",
    "storable",
    "tags",
    "task_id",
    "timezone",
    "title",
]

TITLE_MAX = 500
DESCRIPTION_MAX = 10_000
TIMEZONE_MAX = 64
# Ids are 32-bit integers on every database.
MAX_ID = 2**31 - 1
# A due date is one of these years (a recurring series ends with LAST_YEAR too).
FIRST_YEAR = 1900
# The text looked for in a task's title and description.
SEARCH_TEXT_MAX = 200
# The fields an update may change, and those of them it may set to null: the others it can only
# leave out to keep their value.
EDITABLE = frozenset(
    {
        "title",
        "description",
        "due_date",
        "timezone",
        "recurrence",
        "rrule",
        "repeat_from",
        "priority",
        "tags",
        "status",
        "reminder_offset",
    }
)
CLEARABLE = frozenset({"due_date", "rrule", "reminder_offset"})

NO_NUL = "text cannot contain NUL characters"
NOT_NULL = "cannot be null; leave the field out to keep its value"
CUSTOM_NEEDS_RRULE = "recurrence 'custom' needs an rrule, e.g. FREQ=WEEKLY;BYDAY=MO"
_MOMENT = re.compile(
    r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(:\d\d(\.\d+)?)?([Zz]|[+-]\d\d:\d\d)?", re.ASCII
)


def storable(text: str) -> str:
    """Text every database keeps as it is: Unicode (no lone UTF-16 surrogate, which JSON can
    spell) without NUL characters."""
    if "\x00" in text:
        raise ValueError(NO_NUL)
    try:
        text.encode()
    except UnicodeEncodeError as error:
        raise ValueError("text must be Unicode, without lone surrogates") from error
    return text


def title(text: str) -> str:
    stripped = storable(text).strip()
    if not stripped:
        raise ValueError("give the task a title")
    if len(stripped) > TITLE_MAX:
        raise ValueError(f"a title is at most {TITLE_MAX} characters")
    return stripped


def description(text: str) -> str:
    if len(storable(text)) > DESCRIPTION_MAX:
        raise ValueError(f"a description is at most {DESCRIPTION_MAX:,} characters")
    return text


def moment_text(text: str) -> str:
    """A due date as written: an ISO 8601 date and time, the offset optional."""
    if not _MOMENT.fullmatch(text):
        raise ValueError("a date and time such as 2026-03-01T09:00:00+01:00")
    return text


def due_date(moment: datetime) -> datetime:
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(f"a date between the years {FIRST_YEAR} and {LAST_YEAR}")
    return moment


def timezone(name: str) -> str:
    if len(name) > TIMEZONE_MAX:
        raise ValueError(f"a time zone name is at most {TIMEZONE_MAX} characters")
    timezone_or_error(name)
    return name


def rrule(text: str) -> str:
    return validate_rrule(text)


def reminder_offset(text: str) -> str:
    return format_offset(parse_offset(text))


def tags(raw: list[str]) -> list[str]:
    return normalize_tags(raw)


def some_tags(raw: list[str]) -> list[str]:
    """The tags to add to a task or to take off it."""
    if not raw:
        raise ValueError("give at least one tag")
    return tags(raw)


def task_id(number: int) -> int:
    if not 1 <= number <= MAX_ID:
        raise ValueError(f"an id is a whole number from 1 to {MAX_ID}")
    return number


def search_text(text: str) -> str:
    if len(storable(text)) > SEARCH_TEXT_MAX:
        raise ValueError(f"the text searched for is at most {SEARCH_TEXT_MAX} characters")
    return text
