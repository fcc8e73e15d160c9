"""Reminder offsets: how long before the due date a reminder fires (zero: at the due time)."""

import re
from datetime import timedelta

MAX_OFFSET_TEXT = 50
MAX_OFFSET = timedelta(days=365)
AT_DUE_TIME = "0 minutes"

_SECONDS_IN = {"week": 7 * 24 * 3600, "day": 24 * 3600, "hour": 3600, "minute": 60, "second": 1}
_UNITS = {
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "week"),
    **dict.fromkeys(("d", "day", "days"), "day"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "hour"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "minute"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "second"),
}
_CALENDAR_UNITS = frozenset({"mo", "month", "months", "y", "yr", "yrs", "year", "years"})
_ZERO_WORDS = frozenset({"0", "at due time", "at the due time", "when due"})
_TERM = re.compile(r"(\d+)\s*([a-z]+)")
_TERMS = re.compile(r"\d+\s*[a-z]+(?:(?:\s*,\s*|\s+and\s+|\s*)\d+\s*[a-z]+)*")
_ISO = re.compile(
    r"P(?:(?P<week>\d+)W)?(?:(?P<day>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hour>\d+)H)?(?:(?P<minute>\d+)M)?(?:(?P<second>\d+)S)?)?"
)
_EXAMPLES = "e.g. '30 minutes', '1 hour', '1 day 2 hours', '1w', 'PT30M' or 'at due time'"


def parse_offset(text: str) -> timedelta:
    """ "1 hour", "PT90S", "1 day, 2 hours", "at due time" -> how long before the due date."""
    if len(text) > MAX_OFFSET_TEXT:
        raise ValueError(f"reminder offset is too long: at most {MAX_OFFSET_TEXT} characters")
    cleaned = " ".join(text.lower().split())
    if not cleaned:
        raise ValueError(f"reminder offset is empty: write {_EXAMPLES}")
    if cleaned.startswith("-"):
        raise ValueError(
            f"reminder offset {text.strip()!r} is negative: give how long before the due date"
        )
    if cleaned in _ZERO_WORDS:
        return timedelta(0)
    seconds = _iso_seconds(cleaned) if cleaned.startswith("p") else _words_seconds(cleaned)
    if seconds > MAX_OFFSET // timedelta(seconds=1):
        raise ValueError("reminder offset is too large: at most 365 days before the due date")
    return timedelta(seconds=seconds)


def format_offset(delta: timedelta) -> str:
    """Canonical text, largest units first: "1 week", "1 day 2 hours", "1 minute 30 seconds",
    and "0 minutes" for a reminder at the due time."""
    if delta < timedelta(0) or delta % timedelta(seconds=1):
        raise ValueError(f"a reminder offset is a whole number of seconds from zero, got {delta}")
    seconds = delta // timedelta(seconds=1)
    if seconds == 0:
        return AT_DUE_TIME
    if seconds % _SECONDS_IN["week"] == 0:
        return _amount(seconds // _SECONDS_IN["week"], "week")
    terms = []
    for unit in ("day", "hour", "minute", "second"):
        amount, seconds = divmod(seconds, _SECONDS_IN[unit])
        if amount:
            terms.append(_amount(amount, unit))
    return " ".join(terms)


def timing(offset: str) -> str:
    """When a reminder of this canonical offset fires: "30 minutes before", "at the due time"."""
    return "at the due time" if offset == AT_DUE_TIME else f"{offset} before"


def _amount(amount: int, unit: str) -> str:
    return f"{amount} {unit}" if amount == 1 else f"{amount} {unit}s"


def _iso_seconds(cleaned: str) -> int:
    duration = cleaned.upper()
    if re.search(r"\d+[YM]", duration.partition("T")[0]):
        raise ValueError(
            f"reminder offset {duration!r} uses years or months, which have no fixed length: "
            "use days or weeks"
        )
    match = _ISO.fullmatch(duration)
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"cannot read reminder offset {duration!r}: write {_EXAMPLES}")
    return sum(
        int(value) * _SECONDS_IN[unit]
        for unit, value in match.groupdict().items()
        if value is not None
    )


def _words_seconds(cleaned: str) -> int:
    if _TERMS.fullmatch(cleaned) is None:
        if cleaned.isdigit():
            raise ValueError(f"reminder offset {cleaned!r} needs a unit, e.g. '{cleaned} minutes'")
        raise ValueError(f"cannot read reminder offset {cleaned!r}: write {_EXAMPLES}")
    seen: set[str] = set()
    seconds = 0
    for number, word in _TERM.findall(cleaned):
        if word in _CALENDAR_UNITS:
            raise ValueError(
                f"'{word}' has no fixed length: give the reminder offset in days or weeks"
            )
        unit = _UNITS.get(word)
        if unit is None:
            raise ValueError(
                "unknown unit "
                f"{word!r} in reminder offset: use seconds, minutes, hours, days or weeks"
            )
        if unit in seen:
            raise ValueError(f"reminder offset {cleaned!r} gives {unit}s twice")
        seen.add(unit)
        seconds += int(number) * _SECONDS_IN[unit]
    return seconds
