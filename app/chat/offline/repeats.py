"""Recurrence in English ("every weekday", "every 2 weeks", "every last friday") as RRULEs.

A rule that is exactly what a built-in recurrence derives from the due date (daily, weekly on
the due date's weekday, monthly on its day) is stored as that built-in kind; any other rule is
a custom one.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import Any

from app.chat.offline.text import NUMBER, ORDINAL, ORDINALS, Phrase, groups, number, pattern
from app.chat.offline.when import PARTS_OF_DAY, WEEKDAY, WEEKDAY_NAMES
from app.domain.enums import Recurrence
from app.domain.recurrence import WEEKDAYS, preview, series_rule, validate_rrule

_DAY_LIST = WEEKDAY + r"s?(?:\s*(?:,|and|&)\s*" + WEEKDAY + r"s?)*"
_PLURAL_DAYS = WEEKDAY + r"s(?:\s*(?:,|and|&)\s*" + WEEKDAY + r"s)*"
_EVERY = r"\b(?:every|each)\s+"
_WORK_DAYS = "MO,TU,WE,TH,FR"

_FROM_COMPLETION = pattern(
    r"\b(?:after|from)\s+(?:completion|(?:it\s+is\s+|it'?s\s+|i\s+)?"
    r"(?:completed?|done|finished?|finish\s+it|complete\s+it))\b"
)
_PRESETS = {
    "day": Recurrence.DAILY,
    "daily": Recurrence.DAILY,
    "week": Recurrence.WEEKLY,
    "weekly": Recurrence.WEEKLY,
    "month": Recurrence.MONTHLY,
    "monthly": Recurrence.MONTHLY,
}
_FREQUENCIES = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}


@dataclass(frozen=True)
class Repeat:
    """A built-in recurrence, or a custom RRULE."""

    recurrence: Recurrence
    rule: str | None = None
    from_completion: bool = False
    at: time | None = None

    def fields(self, due: datetime | None) -> dict[str, Any]:
        """The task fields (recurrence, rrule, repeat_from) for a task due at `due`."""
        found: dict[str, Any] = {"recurrence": self.recurrence.value}
        if self.rule is not None:
            preset = _preset_of(self.rule, due)
            found = (
                {"recurrence": preset.value}
                if preset
                else {"recurrence": "custom", "rrule": self.rule}
            )
        if self.from_completion:
            found["repeat_from"] = "completion"
        return found

    def first_due(self, start: datetime, timezone: str) -> datetime:
        """The first day at or after `start` (aware, in `timezone`) the rule can begin on: its
        interval counts from there ("every 2 weeks on monday" begins on the next Monday)."""
        rule = self.rule or series_rule(self.recurrence, None, start.replace(tzinfo=None))
        assert rule is not None
        any_interval = ";".join(p for p in rule.split(";") if not p.startswith("INTERVAL="))
        return preview(any_interval, start, timezone, count=1)[0].astimezone(start.tzinfo)


def take_repeat(phrase: Phrase) -> Repeat | None:
    for regex, read in _READERS:
        match = phrase.take(regex)
        if match is not None:
            repeat = read(groups(match))
            if phrase.take(_FROM_COMPLETION) is not None:
                return replace(repeat, from_completion=True)
            return repeat
    return None


def _custom(rule: str) -> Repeat:
    return Repeat(Recurrence.CUSTOM, validate_rrule(rule))


def _interval(rule: str, amount: str) -> str:
    interval = 2 if amount.lower() == "other" else number(amount) if amount else 1
    return rule if interval == 1 else f"{rule};INTERVAL={interval}"


def _days(text: str) -> str:
    lowered = text.lower()
    found = [name for name in WEEKDAY_NAMES if name in lowered]
    return ",".join(_weekday_code(name) for name in found)


def _weekday_code(name: str) -> str:
    return WEEKDAYS[WEEKDAY_NAMES.index(name.lower())]


def _preset_of(rule: str, due: datetime | None) -> Recurrence | None:
    if due is None:
        return None
    local = due.replace(tzinfo=None)
    for kind in (Recurrence.DAILY, Recurrence.WEEKLY, Recurrence.MONTHLY):
        if series_rule(kind, None, local) == rule:
            return kind
    return None


def _nth_weekday(found: dict[str, str]) -> Repeat:
    ordinal = ORDINALS[(found["ord"] or found["ord2"]).lower()]
    day = _weekday_code(found["weekday"] or found["weekday2"])
    return _custom(f"FREQ=MONTHLY;BYDAY={ordinal}{day}")


def _month_day(found: dict[str, str]) -> Repeat:
    return _custom(f"FREQ=MONTHLY;BYMONTHDAY={found['day'] or found['day2'] or -1}")


def _weeks_on_days(found: dict[str, str]) -> Repeat:
    return _custom(_interval("FREQ=WEEKLY", found["n"]) + f";BYDAY={_days(found['days'])}")


def _every_n(found: dict[str, str]) -> Repeat:
    return _custom(_interval(f"FREQ={_FREQUENCIES[found['unit'].lower()]}", found["n"]))


def _on_days(found: dict[str, str]) -> Repeat:
    return _custom(f"FREQ=WEEKLY;BYDAY={_days(found['days'] or found['plural'])}")


def _daily_at(found: dict[str, str]) -> Repeat:
    return Repeat(Recurrence.DAILY, at=PARTS_OF_DAY[found["part"].lower()])


def _simple(found: dict[str, str]) -> Repeat:
    unit = (found["unit"] or found["adverb"]).lower()
    return Repeat(_PRESETS[unit]) if unit in _PRESETS else _custom("FREQ=YEARLY")


# Most specific first: "every month on the 1st" before "every month", "every 2 weeks" before
# "every week".
_READERS: tuple[tuple[re.Pattern[str], Callable[[dict[str, str]], Repeat]], ...] = (
    (
        pattern(_EVERY + r"(?:week\s*day|work\s*day|business\s+day)s?\b|\b(?:on\s+)?weekdays\b"),
        lambda _: _custom(f"FREQ=WEEKLY;BYDAY={_WORK_DAYS}"),
    ),
    (
        pattern(_EVERY + r"weekend\b|\b(?:on\s+)?weekends\b"),
        lambda _: _custom("FREQ=WEEKLY;BYDAY=SA,SU"),
    ),
    (
        pattern(
            _EVERY
            + rf"(?P<ord>{ORDINAL})\s+(?P<weekday>{WEEKDAY})"
            + r"(?:\s+of\s+(?:the|each|every)\s+month)?\b"
            + rf"|\b(?:on\s+)?the\s+(?P<ord2>{ORDINAL})\s+(?P<weekday2>{WEEKDAY})"
            + r"\s+of\s+(?:each|every)\s+month\b"
        ),
        _nth_weekday,
    ),
    (
        pattern(
            r"\b(?:(?:every|each)\s+month|monthly)\s+on\s+the\s+"
            r"(?:(?P<day>\d{1,2})(?:st|nd|rd|th)|last\s+day)\b"
            r"|\b(?:on\s+)?the\s+(?:(?P<day2>\d{1,2})(?:st|nd|rd|th)|last\s+day)"
            r"\s+of\s+(?:each|every)\s+month\b"
        ),
        _month_day,
    ),
    (
        pattern(_EVERY + rf"(?:(?P<n>other|{NUMBER})\s+)?weeks?\s+on\s+(?P<days>{_DAY_LIST})\b"),
        _weeks_on_days,
    ),
    (pattern(_EVERY + rf"(?P<n>other|{NUMBER})\s+(?P<unit>day|week|month|year)s?\b"), _every_n),
    (pattern(_EVERY + rf"(?P<days>{_DAY_LIST})\b|\bon\s+(?P<plural>{_PLURAL_DAYS})\b"), _on_days),
    (pattern(_EVERY + r"(?P<part>morning|evening|night)\b|\bnightly\b"), _daily_at),
    (
        pattern(
            _EVERY
            + r"(?P<unit>day|week|month|year)\b"
            + r"|\b(?P<adverb>daily|weekly|monthly|yearly|annually)\b"
        ),
        _simple,
    ),
)
