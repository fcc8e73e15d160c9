"""Which tasks a command means ("task 12", "#3 and #4", "it", "the milk task", "all completed
tasks"), and the filters of a listing ("overdue", "due today", "high priority", "#home")."""

import re
from datetime import datetime, timedelta
from typing import Any

from app.chat.offline.attributes import take_priority, take_tags
from app.chat.offline.intents import Target
from app.chat.offline.text import Phrase, pattern, squash
from app.chat.offline.when import take_day_span

_LAST = pattern(r"^(?:it|that|this|the\s+last\s+one)(?:\s+(?:one|task))?$")
_IDS = pattern(
    r"^(?:(?:tasks?|numbers?|ids?)\s*)?#?\d+(?:(?:\s*,\s*|\s+and\s+|\s*&\s*|\s+)#?\d+)*$"
)
_EVERY = pattern(r"^(?:all|every|each|everything)\b(?:\s+(?:of\s+)?(?:the|my)\b)?")
_PLURAL = pattern(r"\b(?:tasks|todos|items)$")
_QUOTED = pattern(r"^[\"'\u201c\u2018](?P<words>.+)[\"'\u201d\u2019]$")
_WORDS = (
    pattern(r"^(?:tasks?|todos?)\s+(?:called|named|titled|about|for|to)\s+(?P<words>.+)$"),
    pattern(r"^(?:task|todo)\s*:\s*(?P<words>.+)$"),
    pattern(r"^(?P<words>.+?)\s+(?:task|todo|item|one)$"),
)
_LEADING = pattern(r"^(?:the|my|a|an|task|todo)\s+")

_OVERDUE = pattern(r"\b(?:overdue|late|past\s+due)\b")
_COMPLETED = pattern(r"\b(?:completed|complete|done|finished|closed)\b")
_PENDING = pattern(r"\b(?:pending|open|remaining|incomplete|unfinished|outstanding|to\s*do|todo)\b")
_DUE_BEFORE = pattern(r"\bdue\s+(?:before|by)\b|\bbefore\b")
_DUE_AFTER = pattern(r"\bdue\s+after\b|\bafter\b")
_SORTS = (
    (pattern(r"\b(?:by|sorted\s+by|order(?:ed)?\s+by)\s+priority\b"), "priority", None),
    (
        pattern(
            r"\b(?:newest|latest|most\s+recent|recently\s+added)\b(?:(?:\s+tasks?)?\s+first\b)?"
        ),
        "created_at",
        "desc",
    ),
    (pattern(r"\b(?:alphabetical(?:ly)?|by\s+(?:title|name))\b"), "title", None),
)
_QUERY = pattern(
    r"\b(?:about|containing|contain|matching|match|mentioning|called|named|titled|with|for)\s+"
    r"[\"'\u201c]?(?P<query>.+?)[\"'\u201d]?$"
)


def parse_target(text: str, now: datetime) -> Target | None:
    cleaned = squash(text).strip(" .,!?")
    if not cleaned:
        return None
    if _LAST.match(cleaned):
        return Target(last=True)
    if _IDS.match(cleaned):
        return Target(ids=tuple(dict.fromkeys(int(found) for found in re.findall(r"\d+", cleaned))))
    every = _EVERY.match(cleaned)
    if every is not None or _PLURAL.search(cleaned):
        rest = Phrase(cleaned[every.end() :] if every else cleaned)
        filters = take_filters(rest, now)
        words = without_filler(rest.rest())
        if words:
            filters["query"] = words
        return Target(every=filters)
    quoted = _QUOTED.match(cleaned)
    if quoted is not None:
        return Target(words=quoted["words"].strip())
    for regex in _WORDS:
        match = regex.match(cleaned)
        if match is not None:
            cleaned = match["words"]
            break
    words = _LEADING.sub("", cleaned).strip(" '\"")
    return Target(words=words) if words else None


def take_filters(phrase: Phrase, now: datetime) -> dict[str, Any]:
    """list_tasks arguments for what the phrase asks about; what is left is free text."""
    filters: dict[str, Any] = {}
    if phrase.take(_OVERDUE) is not None:
        filters.update(status="pending", due_before=_iso(now))
    elif phrase.take(_COMPLETED) is not None:
        filters["status"] = "completed"
    elif phrase.take(_PENDING) is not None:
        filters["status"] = "pending"
    priority = take_priority(phrase)
    if priority is not None:
        filters["priority"] = priority
    tags = take_tags(phrase)
    if tags:
        filters["tags"] = tags
    for regex, sort_by, order in _SORTS:
        if phrase.take(regex) is not None:
            filters["sort_by"] = sort_by
            if order:
                filters["order"] = order
    if phrase.take(_DUE_BEFORE) is not None:
        before = take_day_span(phrase, now)
        if before is not None:
            filters["due_before"] = _iso(before[0])
    elif phrase.take(_DUE_AFTER) is not None:
        after = take_day_span(phrase, now)
        if after is not None:
            filters["due_after"] = _iso(after[1] - timedelta(seconds=1))
    else:
        span = take_day_span(phrase, now)
        if span is not None:
            start, end = span
            filters.update(due_after=_iso(start - timedelta(seconds=1)), due_before=_iso(end))
    query = phrase.take(_QUERY)
    if query is not None:
        filters["query"] = query["query"].strip()
    return filters


def _iso(moment: datetime) -> str:
    return moment.isoformat()


# Words that only shape a request ("show me all my tasks"), not what it is about.
_FILLER = pattern(
    r"(?<![\w'])(?:a|agenda|all|am|any|anything|are|as|at|be|display|do|does|due|everything"
    r"|find|for|from|get|got|have|i|in|is|it|item|items|left|list|look|me|my|next|of|on"
    r"|please|search|see|show|that|the|there|these|things|this|those|to|todo|todos|task|tasks"
    r"|up|upcoming|view|what's|whats|what|which|with)(?![\w'])"
)


def without_filler(text: str) -> str:
    return squash(_FILLER.sub(" ", text)).strip(" ?.,!'\"")
