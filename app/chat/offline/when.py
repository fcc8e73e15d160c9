"""Due dates and times in English, read on the wall clock of the configured time zone.

Dates: today, tonight, tomorrow, the day after tomorrow; weekdays ("friday", "next friday":
the first one after today; "this friday": today when it is Friday); next week (its Monday),
next month (its 1st), this or next weekend (a Saturday), the end of the week (Friday) or month;
"in 3 days", "in 2 weeks", "in a month"; "on the 3rd" (the next 3rd of a month); "Dec 1",
"1 December 2026", "2026-12-01" (a date already past this year means next year's).
Times: "5pm", "5:30 pm", "17:00", "at 5" (1 to 7 read as afternoon), noon, midnight, and the
parts of a day (morning 9:00, afternoon 14:00, evening 18:00, night 20:00).
"in 2 hours" and "in 30 minutes" are exact. A date without a time is due at 09:00; a time
without a date is today's, or tomorrow's once it has passed.
"""

import re
from contextlib import suppress
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from app.chat.offline.text import NUMBER, Phrase, groups, number, pattern

DEFAULT_TIME = time(9, 0)
PARTS_OF_DAY = {
    "morning": time(9, 0),
    "afternoon": time(14, 0),
    "evening": time(18, 0),
    "night": time(20, 0),
    "tonight": time(20, 0),
}
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = {
    **{
        name: index
        for index, name in enumerate(
            (
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            ),
            start=1,
        )
    },
    **{
        short: index
        for index, short in enumerate(
            ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
            start=1,
        )
    },
    "sept": 9,
}

WEEKDAY = r"(?:" + "|".join(WEEKDAY_NAMES) + r")"
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b\.?"
_PART = r"(?:\s+(?P<part>morning|afternoon|evening|night))?"
_LEAD = r"(?:\b(?:due(?:\s+(?:on|by|at))?|by|on|for)\s+)?"

_EXACT = pattern(
    _LEAD + r"\bin\s+(?P<n>" + NUMBER + r"|half\s+an)\s+(?P<unit>minutes?|mins?|hours?|hrs?)\b"
)
_DATES = (
    pattern(_LEAD + r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    pattern(
        _LEAD + r"\b" + _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>\d{4})\b)?"
    ),
    pattern(
        _LEAD
        + r"\b(?:the\s+)?(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
        + _MONTH
        + r"(?:,?\s+(?P<y>\d{4})\b)?"
    ),
    pattern(_LEAD + r"\bthe\s+(?P<monthday>\d{1,2})(?:st|nd|rd|th)\b"),
    pattern(
        _LEAD
        + r"\b(?P<relative>(?:the\s+)?day\s+after\s+tomorrow|today|tonight|tomorrow|tmrw)\b"
        + _PART
    ),
    pattern(
        _LEAD + r"\b(?:(?P<which>this|next|coming)\s+)?(?P<weekday>" + WEEKDAY + r")\b" + _PART
    ),
    pattern(_LEAD + r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<end>week|month)\b"),
    pattern(_LEAD + r"\b(?:(?P<which>this|next)\s+|the\s+)(?P<span>week|month|weekend)\b"),
    pattern(_LEAD + r"\bin\s+(?P<n>" + NUMBER + r")\s+(?P<unit>days?|weeks?|months?)\b"),
    pattern(r"\bthis\s+(?P<part>morning|afternoon|evening)\b"),
)
_TIMES = (
    pattern(
        r"(?:\b(?:at|by|@)\s+)?\b(?P<h>\d{1,2})(?:[:.](?P<min>[0-5]\d))?\s*(?P<ampm>[ap])\.?m\b\.?"
    ),
    pattern(r"(?:\b(?:at|by|@)\s+)?\b(?P<h>[01]?\d|2[0-3]):(?P<min>[0-5]\d)\b"),
    pattern(r"(?:\b(?:at|by)\s+)?\b(?P<word>noon|midday|midnight)\b"),
    pattern(r"\b(?:at|by|@)\s+(?P<bare>\d{1,2})\b(?![:.]?\d|\s*(?:st|nd|rd|th)\b)"),
    pattern(r"\b(?:in\s+the\s+(?P<part>morning|afternoon|evening)|at\s+(?P<night>night))\b"),
)
_SPANS = pattern(_LEAD + r"\b(?P<which>this|next)\s+(?P<span>week|month)\b")


class DateError(ValueError):
    """A date that reads as one but does not exist, such as Feb 30."""


def take_due(phrase: Phrase, now: datetime) -> datetime | None:
    """Take the due date and time out of `phrase`; `now` is aware, in the configured zone."""
    exact = phrase.take(_EXACT)
    if exact is not None:
        amount = 0.5 if exact["n"].lower().startswith("half") else number(exact["n"])
        unit = timedelta(hours=1) if exact["unit"].lower().startswith("h") else timedelta(minutes=1)
        return (now + amount * unit).replace(second=0, microsecond=0)
    day, part = _take_date(phrase, now)
    clock = _take_time(phrase) or part
    if day is None and clock is None:
        return None
    if day is None:
        assert clock is not None
        return next_time(now, clock)
    return _at(now, day, clock or DEFAULT_TIME)


def next_time(now: datetime, clock: time) -> datetime:
    """Today at `clock`, or tomorrow once that has passed."""
    today = _at(now, now.date(), clock)
    return today if today > now else _at(now, now.date() + timedelta(days=1), clock)


def take_day_span(phrase: Phrase, now: datetime) -> tuple[datetime, datetime] | None:
    """The days a listing asks about ("today", "friday", "this week"), as [start, end)."""
    match = phrase.take(_SPANS)
    today = now.date()
    if match is not None:
        span = groups(match)
        if span["span"].lower() == "month":
            first = today.replace(day=1)
            if span["which"].lower() == "next":
                first += relativedelta(months=1)
            return _at(now, first, time()), _at(now, first + relativedelta(months=1), time())
        monday = today - timedelta(days=today.weekday())
        if span["which"].lower() == "next":
            monday += timedelta(days=7)
        start = max(monday, today)
        return _at(now, start, time()), _at(now, monday + timedelta(days=7), time())
    day, _ = _take_date(phrase, now)
    if day is None:
        return None
    return _at(now, day, time()), _at(now, day + timedelta(days=1), time())


def _at(now: datetime, day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=now.tzinfo)


def _take_date(phrase: Phrase, now: datetime) -> tuple[date | None, time | None]:
    for regex in _DATES:
        match = phrase.take(regex)
        if match is not None:
            found = groups(match)
            part = found["part"] or found["relative"]
            return _date_of(found, now.date()), PARTS_OF_DAY.get(part.lower())
    return None, None


def _date_of(found: dict[str, str], today: date) -> date:
    if found["y"] and found["m"]:
        return _exact_date(int(found["y"]), int(found["m"]), int(found["d"]))
    if found["month"]:
        month = MONTHS[found["month"].lower().rstrip(".")]
        day = int(found["d"])
        if found["y"]:
            return _exact_date(int(found["y"]), month, day)
        return _next_date(today, month, day)
    if found["monthday"]:
        return _next_month_day(today, int(found["monthday"]))
    if found["relative"]:
        return _relative_day(today, found["relative"].lower())
    if found["weekday"]:
        return _weekday(today, WEEKDAY_NAMES.index(found["weekday"].lower()), found)
    if found["span"]:
        return _span_start(today, found["span"].lower(), found["which"].lower())
    if found["end"]:
        if found["end"].lower() == "week":
            return today + timedelta(days=max(0, 4 - today.weekday()))
        return today + relativedelta(day=31)
    if found["unit"]:
        amount = number(found["n"])
        unit = found["unit"].lower()
        if unit.startswith("month"):
            return today + relativedelta(months=amount)
        return today + timedelta(days=amount * (7 if unit.startswith("week") else 1))
    return today


def _exact_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(f"{year}-{month:02}-{day:02} is not a date on the calendar") from None


def _next_date(today: date, month: int, day: int) -> date:
    """The next `month`/`day` from today on (Feb 29 waits for a leap year)."""
    for year in range(today.year, today.year + 9):
        with suppress(ValueError):
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
    raise DateError(f"month {month}, day {day} is not a date on the calendar")


def _next_month_day(today: date, day: int) -> date:
    if not 1 <= day <= 31:
        raise DateError(f"no month has a day {day}")
    first = today.replace(day=1)
    for months in range(13):
        month = first + relativedelta(months=months)
        try:
            candidate = month.replace(day=day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise DateError(f"no month has a day {day}")


def _relative_day(today: date, word: str) -> date:
    if word.endswith("after tomorrow"):
        return today + timedelta(days=2)
    if word in ("tomorrow", "tmrw"):
        return today + timedelta(days=1)
    return today


def _weekday(today: date, weekday: int, found: dict[str, str]) -> date:
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and found["which"].lower() != "this":
        ahead = 7
    return today + timedelta(days=ahead)


def _span_start(today: date, span: str, which: str) -> date:
    """next week: its Monday; this week: its Friday; next month: its 1st; this month: its last
    day; a weekend: its Saturday."""
    next_monday = today + timedelta(days=7 - today.weekday())
    if span == "week":
        return (
            next_monday if which == "next" else today + timedelta(days=max(0, 4 - today.weekday()))
        )
    if span == "month":
        first = today.replace(day=1)
        return first + relativedelta(months=1) if which == "next" else today + relativedelta(day=31)
    saturday = today + timedelta(days=(5 - today.weekday()) % 7)
    if today.weekday() == 6:
        saturday = today
    return next_monday + timedelta(days=5) if which == "next" else saturday


def _take_time(phrase: Phrase) -> time | None:
    for regex in _TIMES:
        match = phrase.take(regex)
        if match is not None:
            return _time_of(match)
    return None


def _time_of(match: re.Match[str]) -> time:
    found = groups(match)
    if found["word"]:
        return time(0, 0) if found["word"].lower() == "midnight" else time(12, 0)
    if found["part"]:
        return PARTS_OF_DAY[found["part"].lower()]
    if found["night"]:
        return PARTS_OF_DAY["night"]
    if found["bare"]:
        hour = int(found["bare"])
        return _clock(hour + 12 if 1 <= hour <= 7 else hour, 0)
    hour = int(found["h"])
    minute = int(found["min"] or 0)
    ampm = found["ampm"].lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise DateError(f"{hour}{ampm}m is not a time of day")
        hour = hour % 12 + (12 if ampm == "p" else 0)
    return _clock(hour, minute)


def _clock(hour: int, minute: int) -> time:
    if hour > 23:
        raise DateError(f"{hour}:{minute:02} is not a time of day")
    return time(hour, minute)
