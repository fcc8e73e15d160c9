"""The parser: one English message to one tool call (or a reply), deterministically.

Commands are tried in a fixed order, most specific first ("add tag home to task 3" is about
tags, not a new task). Whatever the text says, the result names one of the chat tools or
none: the message is read as data, never as instructions.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.chat.confirmation import confirms, refuses
from app.chat.offline.attributes import (
    LEVEL,
    LEVELS,
    OFFSET,
    offset_text,
    split_tags,
    take_priority,
    take_reminder,
    take_tags,
)
from app.chat.offline.intents import Answer, Intent, Parsed, Target, Unclear
from app.chat.offline.repeats import take_repeat
from app.chat.offline.targets import parse_target, take_filters, without_filler
from app.chat.offline.text import ORDINAL, ORDINALS, Phrase, groups, pattern, squash
from app.chat.offline.when import DEFAULT_TIME, next_time, take_due
from app.domain.offsets import AT_DUE_TIME

HELP = (
    "I can add, list, search, update, complete and delete tasks, set priorities, tags and "
    'reminders. Try: "add pay rent Dec 1 every month, high priority", "what\'s due today?", '
    '"complete the milk task", "tag task 3 home", "remind me 1 hour before task 3", '
    '"move the dentist task to friday 3pm" or "delete all completed tasks".'
)

_POLITE_START = pattern(
    r"^(?:(?:hey|hi|ok|okay|yes|please|pls|so|now|and|then|also)\b[,!]?\s*"
    r"|(?:can|could|would|will)\s+you\s+(?:please\s+)?|i\s+(?:want|would\s+like|'d\s+like)\s+"
    r"(?:you\s+)?to\s+|let'?s\s+|go\s+ahead\s+and\s+)+"
)
# Lookbehinds start a match only where a run of its characters starts, and possessive
# quantifiers never give back what they took: each search stays linear in the message.
_POLITE_END = pattern(r"(?<![,.!?\s])(?:[,.!?\s]+(?:please|pls|thanks|thank\s+you|thx))*+[.!?]*+$")

_HELP = pattern(
    r"^(?:help|\?|what\s+can\s+you\s+do|how\s+does\s+this\s+work|commands|hi|hello|hey)$"
)
_CHOICE = pattern(
    rf"^(?:the\s+)?(?P<ordinal>{ORDINAL})(?:\s+one)?$"
    r"|^(?:number\s+|no\.?\s*)?(?P<number>\d{1,2})$"
)

_QUOTED_TITLE = pattern(
    r"[\"\u201c](?P<title>[^\"\u201d]+)[\"\u201d]|(?<!\w)'(?P<single>[^']+)'(?!\w)"
)
_EVERYTHING = pattern(r"\b(?:all|every(?:thing)?)\b")
_TITLE_QUOTES = "\"'\u201c\u201d"

_T = r"(?P<target>.+?)"
_SINGLE = (
    r"(?P<target>(?:tasks?\s*)?#?\d+(?:(?:\s*,\s*|\s+and\s+)#?\d+)*|it|that|this"
    r"|the\s+.+?\s+(?:task|one))"
)
_WHEN = r"(?P<when>.+)"


@dataclass(frozen=True)
class _Context:
    now: datetime
    timezone: str


_Reader = Callable[[dict[str, str], _Context], Parsed]


def parse(message: str, now: datetime, timezone: str) -> Parsed:
    """Read `message`; `now` is aware, in `timezone`, the zone dates are read in."""
    text = _plain(message)
    if confirms(message) or confirms(text):
        return Answer("yes")
    if refuses(message) or refuses(text):
        return Answer("no")
    if not text or _HELP.match(text):
        return Unclear(HELP)
    choice = _CHOICE.match(text)
    if choice is not None:
        picked = groups(choice)
        return Answer("choice", int(picked["number"] or ORDINALS[picked["ordinal"].lower()]))
    context = _Context(now, timezone)
    try:
        for regex, read in _COMMANDS:
            match = regex.match(text)
            if match is not None:
                return read(groups(match), context)
        # No command: a line that says when reads as a task, as in quick add ("water the
        # plants every 3 days").
        added = _add_task({"rest": text}, context)
        if isinstance(added, Intent) and "due_date" in added.arguments:
            return added
    except ValueError as error:
        return Unclear(f"I couldn't read that: {error}.")
    return Unclear(f"Sorry, I didn't understand that. {HELP}")


def _plain(message: str) -> str:
    text = squash(message)
    previous = None
    while previous != text:
        previous = text
        text = _POLITE_END.sub("", _POLITE_START.sub("", text)).strip()
    return text


def _target(found: dict[str, str], context: _Context) -> Target:
    target = parse_target(found["target"], context.now)
    if target is None:
        raise ValueError("which task do you mean")
    return target


def _on_target(tool: str, **arguments: Any) -> _Reader:
    return lambda found, context: Intent(tool, dict(arguments), _target(found, context))


def _add_task(found: dict[str, str], context: _Context) -> Parsed:
    phrase = Phrase(found["rest"])
    quoted = phrase.take(_QUOTED_TITLE)
    reminder = take_reminder(phrase)
    repeat = take_repeat(phrase)
    due = take_due(phrase, context.now)
    if found.get("remind") and reminder is None and (due or repeat) is not None:
        # "remind me to call mom on friday": a reminder when it is due.
        reminder = AT_DUE_TIME
    priority = take_priority(phrase)
    tags = take_tags(phrase)
    if quoted is not None:
        title = _title(groups(quoted)["title"] or groups(quoted)["single"])
    else:
        title = _title(phrase.rest())
    if not title:
        return Unclear('What should the task be called? Try "add buy milk tomorrow".')
    arguments: dict[str, Any] = {"title": title}
    if repeat is not None:
        start = due or next_time(context.now, repeat.at or DEFAULT_TIME)
        due = repeat.first_due(start, context.timezone)
    if due is not None:
        arguments["due_date"] = due.isoformat()
    if repeat is not None:
        arguments.update(repeat.fields(due))
    if priority is not None:
        arguments["priority"] = priority
    if tags:
        arguments["tags"] = tags
    if reminder is not None:
        arguments["reminder_offset"] = reminder
    return Intent("add_task", arguments)


# What is left around a title once its date, tags and so on are taken out of it.
_EDGE_MARKS = " ,;:.!?-"
_LEADING_EDGE = pattern(
    r"^(?:(?:a|an|the|new|task|todo|to-do|item|reminder|to|called|named|titled|that)"
    r"(?:\s*:\s*|\s+|$)|[,;:.!?\-]\s*)++"
)
_TRAILING_WORDS = frozenset({"and", "with", "due", "on", "at", "by", "for", "to", "from", "every"})


def _title(text: str) -> str:
    title = _LEADING_EDGE.sub("", squash(text))
    words = title.split(" ")
    while words and words[-1].rstrip(_EDGE_MARKS).lower() in _TRAILING_WORDS | {""}:
        words.pop()
    title = " ".join(words).strip(_EDGE_MARKS)
    return title[:1].upper() + title[1:]


def _rename(found: dict[str, str], context: _Context) -> Parsed:
    title = _title(found["title"].strip(_TITLE_QUOTES))
    return Intent("update_task", {"title": title}, _target(found, context))


def _describe(found: dict[str, str], context: _Context) -> Parsed:
    description = found["description"].strip().strip(_TITLE_QUOTES)
    return Intent("update_task", {"description": description}, _target(found, context))


def _reschedule(found: dict[str, str], context: _Context) -> Parsed:
    phrase = Phrase(found["when"])
    due = take_due(phrase, context.now)
    if due is None or phrase.rest():
        raise ValueError(f"'{found['when']}' is not a date I know")
    return Intent("update_task", {"due_date": due.isoformat()}, _target(found, context))


def _repeat(found: dict[str, str], context: _Context) -> Parsed:
    phrase = Phrase(found["when"])
    repeat = take_repeat(phrase)
    if repeat is None or phrase.rest():
        raise ValueError(f"'{found['when']}' is not a repetition I know, e.g. 'every monday'")
    return Intent("update_task", repeat.fields(None), _target(found, context))


def _priority(found: dict[str, str], context: _Context) -> Parsed:
    level = LEVELS[found["level"].lower()]
    return Intent("set_priority", {"priority": level}, _target(found, context))


def _tags(tool: str) -> _Reader:
    def read(found: dict[str, str], context: _Context) -> Parsed:
        tags = split_tags(found["tags"])
        if not tags:
            raise ValueError("which tags")
        return Intent(tool, {"tags": tags}, _target(found, context))

    return read


def _reminder(found: dict[str, str], context: _Context) -> Parsed:
    offset = offset_text(found["offset"])
    target = _target(found, context) if found["target"] else Target(last=True)
    return Intent("add_reminder", {"reminder_offset": offset}, target)


def _reminder_when_due(found: dict[str, str], context: _Context) -> Parsed:
    target = _target(found, context) if found["target"] else Target(last=True)
    return Intent("add_reminder", {"reminder_offset": AT_DUE_TIME}, target)


def _list_reminders(found: dict[str, str], context: _Context) -> Parsed:
    arguments = {"status": "pending"} if found["pending"] else {}
    if not found["target"]:
        return Intent("list_reminders", arguments)
    return Intent("list_reminders", arguments, _target(found, context))


def _list_tasks(found: dict[str, str], context: _Context) -> Parsed:
    phrase = Phrase(found["rest"] or found["query"])
    everything = phrase.take(_EVERYTHING) is not None
    filters = take_filters(phrase, context.now)
    if "query" not in filters:
        words = without_filler(phrase.rest())
        if words:
            filters["query"] = words
    searching = bool(found["search"])
    if "status" not in filters and not everything and not searching:
        filters["status"] = "pending"
    return Intent("list_tasks", filters)


_DONE = r"(?:done|complete|completed|finished)"
_REMIND = r"(?:remind\s+me|alert\s+me|notify\s+me|ping\s+me)"
_NEW_REMINDER = r"(?:set(?:\s+up)?|add|create|schedule)\s+a\s+reminder"

_COMMANDS: tuple[tuple[re.Pattern[str], _Reader], ...] = (
    # Tags
    (
        pattern(
            rf"^(?:add|put)\s+(?:the\s+)?(?:tags?|labels?)\s+(?P<tags>.+?)\s+(?:to|on)\s+{_T}$"
        ),
        _tags("add_tags"),
    ),
    (pattern(rf"^(?:tag|label)\s+{_T}\s+(?:with|as)\s+(?P<tags>.+)$"), _tags("add_tags")),
    (pattern(rf"^(?:tag|label)\s+{_SINGLE}\s+(?P<tags>.+)$"), _tags("add_tags")),
    (pattern(rf"^(?:tag|label)\s+{_T}\s+(?P<tags>#\S+(?:\s+#\S+)*)$"), _tags("add_tags")),
    (
        pattern(
            r"^(?:remove|delete|drop|take\s+off)\s+(?:the\s+)?(?:tags?|labels?)\s+(?P<tags>.+?)"
            rf"\s+(?:from|on|off)\s+{_T}$"
        ),
        _tags("remove_tags"),
    ),
    (
        pattern(
            r"^(?:remove|delete|drop|take)\s+(?:the\s+)?(?P<tags>.+?)\s+(?:tags?|labels?)"
            rf"\s+(?:off|from|on)\s+{_T}$"
        ),
        _tags("remove_tags"),
    ),
    (pattern(rf"^untag\s+(?P<tags>.+?)\s+from\s+{_T}$"), _tags("remove_tags")),
    (pattern(rf"^untag\s+{_SINGLE}\s+(?P<tags>.+)$"), _tags("remove_tags")),
    # Reminders
    (
        pattern(
            r"^(?:(?:list|show|view|get|see)\s+(?:me\s+)?(?:all\s+)?(?:of\s+)?(?:my\s+)?(?:the\s+)?"
            r"|what\s+(?:are\s+)?(?:my\s+)?|which\s+)?(?P<pending>pending\s+|upcoming\s+)?reminders"
            r"(?:\s+do\s+i\s+have)?(?:\s+(?:for|of|on|about)\s+(?P<target>.+))?$"
        ),
        _list_reminders,
    ),
    (
        pattern(
            rf"^(?:{_REMIND}|{_NEW_REMINDER})\s+(?P<offset>{OFFSET})\s+(?:before|ahead\s+of|prior\s+to)"
            rf"\s+{_T}(?:\s+(?:is|comes)\s+due)?$"
        ),
        _reminder,
    ),
    (
        pattern(
            rf"^{_REMIND}\s+(?P<offset>{OFFSET})\s+(?:before|ahead|early|in\s+advance)"
            r"(?:\s+(?:it(?:'s|\s+is)\s+due|the\s+due\s+date|due))?$"
        ),
        _reminder,
    ),
    (
        pattern(
            rf"^{_REMIND}\s+(?:about|of)\s+{_T}\s+(?P<offset>{OFFSET})\s+"
            r"(?:before|ahead|early|in\s+advance)(?:\s+(?:it(?:'s|\s+is)\s+due|the\s+due\s+date|due))?$"
        ),
        _reminder,
    ),
    (
        pattern(
            rf"^{_NEW_REMINDER}\s+(?:to|for|on)\s+{_T}\s+(?P<offset>{OFFSET})\s+"
            r"(?:before|ahead|early)(?:\s+(?:it(?:'s|\s+is)\s+due|the\s+due\s+date|due))?$"
        ),
        _reminder,
    ),
    (
        pattern(
            rf"^(?:set|add|create)\s+an?\s+(?P<offset>{OFFSET})\s+reminder\s+(?:to|for|on)\s+{_T}$"
        ),
        _reminder,
    ),
    (
        pattern(
            rf"^{_REMIND}(?:\s+(?:about|of)\s+{_T})?\s+(?:when\s+(?:it(?:'s|\s+is)\s+)?due"
            r"|at\s+the\s+due\s+time|on\s+time)$"
        ),
        _reminder_when_due,
    ),
    # Descriptions, before "add ..." makes a task of "add a note to task 3"
    (
        pattern(
            r"^(?:set|change|update)\s+(?:the\s+)?(?:description|notes?|details)\s+(?:of|for|on)"
            rf"\s+{_T}\s+to\s+(?P<description>.+)$"
        ),
        _describe,
    ),
    (
        pattern(rf"^(?:add\s+(?:a\s+)?note|note)\s+(?:to|on)\s+{_T}\s*:\s*(?P<description>.+)$"),
        _describe,
    ),
    (pattern(rf"^describe\s+{_T}\s+as\s+(?P<description>.+)$"), _describe),
    # New tasks
    (
        pattern(
            r"^(?:add|create|schedule|make\s+a\s+(?:new\s+)?(?:task|todo)|new\s+(?:task|todo)"
            r"|to-?do|(?P<remind>remind\s+me\s+to)|remember\s+to|don'?t\s+(?:let\s+me\s+)?forget\s+to"
            r"|i\s+(?:need|have|must|should|want)\s+to|i\s+gotta|jot\s+down|write\s+down)\b"
            r"(?P<rest>.*)$"
        ),
        _add_task,
    ),
    # One task
    (
        pattern(
            r"^(?:(?:show|open|view|display|get|describe)(?:\s+me)?(?:\s+the)?(?:\s+details\s+(?:of|for))?"
            r"|details\s+(?:of|for|on)|info\s+(?:on|about|for)|what(?:'s|\s+is)|tell\s+me\s+about)"
            r"\s+(?P<target>(?:task\s*)?#?\d+)$"
        ),
        _on_target("get_task"),
    ),
    (pattern(r"^(?P<target>(?:task\s*)?#\d+|task\s*\d+)$"), _on_target("get_task")),
    (
        pattern(
            r"^(?:(?:show|open|view)(?:\s+me)?|details\s+(?:of|for|on)|tell\s+me\s+about)"
            r"\s+(?P<target>the\s+.+?\s+task)$"
        ),
        _on_target("get_task"),
    ),
    # Questions and listings, before "what is due today" reads as a change of due date
    (
        pattern(
            r"^(?=(?:what'?s|whats|what|which|when|show|list|display|view|see|do\s+i\s+have|any"
            r"|anything|agenda)\b)(?P<rest>.*)$"
        ),
        _list_tasks,
    ),
    # Completing and reopening
    (
        pattern(rf"^mark\s+{_T}\s+(?:as\s+)?(?:not\s+{_DONE}|undone|pending|incomplete|open)$"),
        _on_target("update_task", status="pending"),
    ),
    (
        pattern(rf"^(?:reopen|re-open|uncomplete|restore)\s+{_T}$"),
        _on_target("update_task", status="pending"),
    ),
    (
        pattern(
            r"^(?:complete|finish|close|check\s+off|tick\s+off|cross\s+off|(?:i'?m\s+)?done\s+with|done"
            r"|i\s+(?:did|finished|completed|have\s+(?:done|finished|completed))"
            rf"|i'?ve\s+(?:done|finished|completed))\s+{_T}(?:\s+(?:off|now))?$"
        ),
        _on_target("complete_task"),
    ),
    (pattern(rf"^mark\s+{_T}\s+(?:as\s+)?{_DONE}$"), _on_target("complete_task")),
    (pattern(rf"^{_T}\s+(?:is|are)\s+(?:now\s+)?{_DONE}$"), _on_target("complete_task")),
    # Priorities
    (
        pattern(
            r"^(?:set|change|raise|lower|update)\s+(?:the\s+)?priority\s+(?:of|for|on)"
            rf"\s+{_T}\s+to\s+(?P<level>{LEVEL})$"
        ),
        _priority,
    ),
    (
        pattern(
            rf"^(?:make|set|mark|change)\s+{_T}\s+(?:to\s+|as\s+)?(?:a\s+)?(?P<level>{LEVEL})"
            r"(?:\s+priority)?$"
        ),
        _priority,
    ),
    (pattern(rf"^{_T}\s+is\s+(?:a\s+)?(?P<level>{LEVEL})(?:\s+priority)?$"), _priority),
    (
        pattern(rf"^(?:prioriti[sz]e|bump|escalate)\s+{_T}$"),
        _on_target("set_priority", priority="high"),
    ),
    (
        pattern(rf"^(?:deprioriti[sz]e|lower\s+(?:the\s+)?priority\s+of)\s+{_T}$"),
        _on_target("set_priority", priority="low"),
    ),
    # Changing tasks
    (pattern(rf"^(?:rename|retitle)\s+{_T}\s+(?:to|as)\s+(?P<title>.+)$"), _rename),
    (pattern(rf"^change\s+(?:the\s+)?(?:title|name)\s+of\s+{_T}\s+to\s+(?P<title>.+)$"), _rename),
    (
        pattern(
            r"^(?:remove|clear|delete|drop|unset)\s+(?:the\s+)?due\s*(?:date)?\s+(?:of|from|on|for)"
            rf"\s+{_T}$"
        ),
        _on_target("update_task", due_date=None),
    ),
    (
        pattern(
            r"^(?:stop\s+repeating|don'?t\s+repeat|do\s+not\s+repeat|stop\s+recurring)"
            rf"\s+{_T}$"
        ),
        _on_target("update_task", recurrence="none"),
    ),
    (
        pattern(rf"^make\s+{_T}\s+(?:not\s+repeat|(?:a\s+)?one-?off|non-?recurring)$"),
        _on_target("update_task", recurrence="none"),
    ),
    (
        pattern(rf"^{_T}\s+should\s+(?:not|n'?t)\s+repeat$"),
        _on_target("update_task", recurrence="none"),
    ),
    (pattern(rf"^(?:make|set)\s+{_T}\s+(?:to\s+)?(?:repeat|recur)\s+{_WHEN}$"), _repeat),
    (pattern(rf"^{_T}\s+(?:should\s+)?(?:repeats?|recurs?)\s+{_WHEN}$"), _repeat),
    (
        pattern(rf"^(?:make|set)\s+{_T}\s+(?P<when>daily|weekly|monthly|yearly|every\s+.+)$"),
        _repeat,
    ),
    (
        pattern(
            r"^(?:set|change|update|move)\s+(?:the\s+)?due\s*(?:date)?\s+(?:of|for|on)"
            rf"\s+{_T}\s+to\s+{_WHEN}$"
        ),
        _reschedule,
    ),
    (
        pattern(
            r"^(?:move|reschedule|postpone|push(?:\s+back)?|defer|shift|delay|change)"
            rf"\s+(?P<target>.+)\s+(?:to|until|till|for|on)\s+{_WHEN}$"
        ),
        _reschedule,
    ),
    (pattern(rf"^(?:make\s+)?{_T}\s+(?:is\s+)?(?:now\s+)?due\s+{_WHEN}$"), _reschedule),
    # Deleting
    (
        pattern(
            rf"^(?:delete|remove|drop|trash|erase|discard|get\s+rid\s+of|cancel|scrap)\s+{_T}$"
        ),
        _on_target("delete_task"),
    ),
    # Listing and searching
    (
        pattern(
            r"^(?:(?P<search>search(?:\s+for)?|find|look\s+(?:up|for))\b(?P<query>.*)"
            r"|(?=(?:list|show|display|view|see|get|what'?s|whats|what|which|do\s+i\s+have|any"
            r"|anything|agenda|todo|to-do|my|tasks?|overdue|upcoming)\b)(?P<rest>.*))$"
        ),
        _list_tasks,
    ),
)
