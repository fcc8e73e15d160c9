"""Priorities ("high priority", "urgent"), tags ("#home", "tag it home") and reminder offsets
("remind me 1 hour before") in English."""

import re

from app.chat.offline.text import NUMBER, NUMBER_WORDS, Phrase, groups, number, pattern
from app.domain.offsets import format_offset, parse_offset
from app.domain.tags import normalize_tag

LEVELS = {
    "high": "high",
    "top": "high",
    "urgent": "high",
    "important": "high",
    "low": "low",
    "medium": "medium",
    "normal": "medium",
}
LEVEL = r"(?:" + "|".join(LEVELS) + r")"
_PRIORITIES = (
    (pattern(r"\b(?:not\s+(?:urgent|important)|no\s+rush|low\s+prio)\b"), "low"),
    (
        pattern(
            r"(?:\b(?:with|at|as|in)\s+)?(?:\ba\s+)?\b(?P<level>high|low|medium|normal|top)"
            r"(?:\s*-\s*|\s+)priority\b"
        ),
        "",
    ),
    (pattern(r"\bpriority\s*(?::|=|is|of)?\s*(?P<level>high|low|medium|normal)\b"), ""),
    (pattern(r"\b(?:urgent(?:ly)?|asap|important|critical)\b"), "high"),
)

_UNIT = r"(?:seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w)\b"
# A count in words stands apart from its unit, so "and" never reads as "an d".
_TERM = r"(?:\d{1,4}\s*|(?:" + "|".join(NUMBER_WORDS) + r")\s+)" + _UNIT
OFFSET = rf"(?:{_TERM}(?:(?:\s*,\s*|\s+and\s+|\s+){_TERM})*+|the\s+(?:day|week))"
_BEFORE = r"(?:before|ahead|early|earlier|in\s+advance|prior)"
_REMINDER = pattern(
    r",?\s*(?:\band\s+)?\b(?:remind\s+me|(?:with\s+)?an?\s+reminder|reminder|set\s+a\s+reminder"
    r"|alert\s+me|notify\s+me|ping\s+me)\s+(?P<offset>"
    + OFFSET
    + r")\s+"
    + _BEFORE
    + r"(?:\s+(?:it(?:'s|\s+is)\s+due|the\s+due\s+date|it|that|due))?\b"
)

_TAG_WORD = r"#?[^\W_][\w\-]*"
_TAG_WORDS = rf"(?P<words>{_TAG_WORD}(?:(?:\s*,\s*|\s+and\s+){_TAG_WORD})*)"
_TAG_PHRASES = (
    pattern(
        r",?\s*(?:\band\s+)?\b(?:tag(?:ged)?|label(?:l?ed)?)\s+(?:it\s+|this\s+)?(?:with\s+|as\s+)?"
        r"(?:the\s+)?(?:tags?\s+)?" + _TAG_WORDS
    ),
    pattern(r"\btags?\s*:\s*" + _TAG_WORDS),
    pattern(r"\bwith\s+(?:the\s+)?tags?\s+" + _TAG_WORDS),
)
# A hashtag of digits alone ("#12") names a task, not a tag.
_HASHTAG = pattern(r"(?<![\w&#])#(?P<tag>(?!\d+\b)[^\W_][\w\-.:/]*)")


def take_priority(phrase: Phrase) -> str | None:
    for regex, level in _PRIORITIES:
        match = phrase.take(regex)
        if match is not None:
            return level or LEVELS[groups(match)["level"].lower()]
    return None


def take_reminder(phrase: Phrase) -> str | None:
    """The canonical reminder offset ("1 hour") of "remind me an hour before"."""
    match = phrase.take(_REMINDER)
    return None if match is None else offset_text(match["offset"])


def offset_text(text: str) -> str:
    """ "an hour" -> "1 hour", "the day" -> "1 day": canonical, or ValueError."""
    words = re.sub(r"^the\s+", "1 ", text.strip(), flags=re.IGNORECASE)
    digits = re.sub(
        rf"\b{NUMBER}\b(?=\s*[a-z])",
        lambda found: str(number(found[0])),
        words,
        flags=re.IGNORECASE,
    )
    return format_offset(parse_offset(digits))


def take_tags(phrase: Phrase) -> list[str]:
    tags: list[str] = []
    for regex in _TAG_PHRASES:
        match = phrase.take(regex)
        if match is not None:
            tags += split_tags(match["words"])
    tags += [_clean_tag(hashtag["tag"]) for hashtag in phrase.take_all(_HASHTAG)]
    return list(dict.fromkeys(tags))


def split_tags(text: str) -> list[str]:
    """ "home, errands and #work" -> ["home", "errands", "work"]."""
    words = re.split(r"\s*,\s*|\s+and\s+|\s+", text.strip(), flags=re.IGNORECASE)
    return [_clean_tag(word) for word in words if word.strip("#")]


def _clean_tag(word: str) -> str:
    return normalize_tag(word.rstrip(".:/-"))
