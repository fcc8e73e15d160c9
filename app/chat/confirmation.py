"""Deleting more than one task or a task the user did not name, and completing more than one,
wait for the user's explicit "yes", whichever assistant called the tool.

The calls made while answering a message go through that message's `GuardedTools`: a call beyond
what the message allows is held, not run, and the answer asks the user about exactly the tasks
it would change. The next message carries out those calls if it confirms, within
`CONFIRMATION_TTL`; any other message drops them. An assistant cannot say "yes" for the user:
the answer is read here, before any assistant sees the message. MCP clients have no
conversation: deleting several tasks at once needs `confirm: true` in the call.
"""

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from app.chat import tool_args as args
from app.chat.conversation import Action, Confirmation, Conversation, HeldCall, Outcome, focus_of
from app.chat.offline.replies import describe
from app.chat.offline.text import pattern, squash
from app.chat.tools import Json, OwnerTools, Tool, ToolResult, ToolSet

CONFIRMATION_TTL = timedelta(minutes=10)
CONFIRM_ARGUMENT = "confirm"
LEFT_ALONE = "OK, I left everything as it was."

_YES = pattern(
    r"^(?:yes|y|yep|yeah|yup|sure|ok|okay|confirm(?:ed)?|do\s+it|go\s+ahead|proceed|correct"
    r"|absolutely|please\s+do)(?:[,!\s]+(?:please|do\s+it|go\s+ahead|confirm|thanks))*$"
)
_NO = pattern(
    r"^(?:no|n|nope|nah|cancel|stop|never\s*mind|nevermind|abort|forget\s+it|don'?t)"
    r"(?:[,!\s]+(?:thanks|it|that))*$"
)

# A task id as a message writes it ("task 12", "#12", "12 and 14"), not a date, time or decimal.
_ID = re.compile(r"(?<![\w:/.-])#?(\d+)(?![\w:/-]|\.\d)")
_WORD = re.compile(r"[^\W_]+")
_SHORTEST_NAME = 3
# Words of a request that name no particular task.
_NOT_NAMES = re.compile(
    r"all|and|any|are|both|can|clean|clear|complete|completed|could|del|delete|deleted|did|done"
    r"|each|erase|every|everything|finish|finished|for|from|get|have|item|items|list|mark|mine|old"
    r"|one|ones|open|out|overdue|pending|please|remove|rid|some|task|tasks|that|the|them|these"
    r"|this|those|todo|todos|too|trash|with|would|you|your"
)


def confirms(message: str) -> bool:
    return _YES.match(_bare(message)) is not None


def refuses(message: str) -> bool:
    return _NO.match(_bare(message)) is not None


def _bare(message: str) -> str:
    return squash(message).strip(" .!?")


@dataclass(frozen=True)
class _Rule:
    """How many of its tasks a tool may change without a yes, per message: one, named or not."""

    one_by_one: str
    verb: str
    named_only: bool


_DELETE = _Rule("delete_task", "Delete", named_only=True)
_COMPLETE = _Rule("complete_task", "Complete", named_only=False)
_RULES = {"delete_task": _DELETE, "delete_tasks": _DELETE, "complete_task": _COMPLETE}


@dataclass(frozen=True)
class Answered:
    """A tool call and what it returned; `held` when it waits for the user's yes instead."""

    tool: str
    arguments: Json
    data: Json
    held: bool = False

    def action(self) -> Action:
        return Action(tool=self.tool, arguments=self.arguments, result=self.data)


@dataclass(frozen=True)
class Named:
    """What a user's message names: task ids, the words in it, and its text."""

    ids: frozenset[int]
    words: frozenset[str]
    text: str

    @classmethod
    def by(cls, message: str, also: Iterable[int] = ()) -> "Named":
        text = squash(message).casefold()
        ids = {int(found) for found in _ID.findall(text)}
        return cls(frozenset(ids | set(also)), frozenset(_WORD.findall(text)), text)

    def names(self, task: Json) -> bool:
        """Whether the message gives the task's id, its title, or a telling word of its title
        or tags ("the dentist task", "#home")."""
        if task["id"] in self.ids:
            return True
        title = squash(task["title"]).casefold()
        if re.search(rf"(?<!\w){re.escape(title)}(?!\w)", self.text):
            return True
        words = _WORD.findall(" ".join([title, *task["tags"]]).casefold())
        return any(
            len(word) >= _SHORTEST_NAME and word in self.words and not _NOT_NAMES.fullmatch(word)
            for word in words
        )


class GuardedTools:
    """The tool calls made while answering one message."""

    def __init__(self, tools: OwnerTools, named: Named, now: datetime) -> None:
        self._tools = tools
        self._named = named
        self._now = now
        self._done: Counter[str] = Counter()
        self._held: dict[tuple[str, int], HeldCall] = {}

    async def call(self, name: str, arguments: Mapping[str, Any]) -> Answered:
        [answered] = await self.call_all([(name, arguments)])
        return answered

    async def call_all(self, calls: Sequence[tuple[str, Mapping[str, Any]]]) -> list[Answered]:
        """Run `calls`, made at once, in order; those that change more tasks than the message
        allows (these calls and the earlier ones together) are held."""
        targets = [(_RULES.get(name), _task_ids(name, arguments)) for name, arguments in calls]
        changing = Counter(self._done)
        changing.update(held.tool for held in self._held.values())
        for rule, ids in targets:
            if rule is not None and ids is not None:
                changing[rule.one_by_one] += len(ids)
        answered = []
        for (name, arguments), (rule, ids) in zip(calls, targets, strict=True):
            if rule is None or ids is None:
                answered.append(await self._run(name, arguments))
            else:
                answered.append(
                    await self._guarded(name, arguments, rule, ids, changing[rule.one_by_one])
                )
        return answered

    def finish(self, outcome: Outcome) -> Outcome:
        """`outcome`, asking the user about the calls held, if any."""
        if not self._held:
            return outcome
        confirmation = Confirmation(calls=list(self._held.values()), asked_at=self._now)
        reply = "\n".join(part for part in (outcome.reply, question(confirmation)) if part)
        return replace(outcome, reply=reply, confirmation=confirmation)

    async def _guarded(
        self, name: str, arguments: Mapping[str, Any], rule: _Rule, ids: list[int], changing: int
    ) -> Answered:
        tasks = []
        for task_id in ids:
            found = await self._tools.call("get_task", {"task_id": task_id})
            if not found.ok:
                return Answered(name, dict(arguments), found.data)
            tasks.append(found.data["task"])
        unnamed = rule.named_only and not all(self._named.names(task) for task in tasks)
        if changing <= 1 and not unnamed:
            answered = await self._run(name, arguments)
            self._done[rule.one_by_one] += len(ids)
            return answered
        for task in tasks:
            held = HeldCall(tool=rule.one_by_one, task_id=task["id"], title=task["title"])
            self._held[(held.tool, held.task_id)] = held
        waiting = {
            "not_done": "it waits for the user's confirmation",
            "tasks": [{"id": task["id"], "title": task["title"]} for task in tasks],
            "note": "TaskFlow lists these tasks under your answer and asks the user to reply "
            "'yes'; do not ask again and do not repeat the call.",
        }
        return Answered(name, dict(arguments), waiting, held=True)

    async def _run(self, name: str, arguments: Mapping[str, Any]) -> Answered:
        result = await self._tools.call(name, arguments)
        return Answered(name, dict(arguments), result.data)


class ConfirmationGuard:
    def __init__(
        self,
        tools: ToolSet,
        clock: Callable[[], datetime],
        ttl: timedelta = CONFIRMATION_TTL,
    ) -> None:
        self.tools = tools
        self._clock = clock
        self._ttl = ttl

    def session(self, owner: int, conversation: Conversation, message: str) -> GuardedTools:
        """The calls answering the owner's `message`. The tasks the assistant listed to choose
        from count as named: the user's previous message named them."""
        listed = conversation.pending.task_ids if conversation.pending else ()
        return GuardedTools(self.tools.for_owner(owner), Named.by(message, listed), self._clock())

    async def answer(self, owner: int, conversation: Conversation, message: str) -> Outcome | None:
        """The outcome of `message` when it answers the calls held in `conversation`; None when
        it does not (they are dropped, and an assistant answers the message)."""
        confirmation = conversation.confirmation
        if confirmation is None:
            return None
        if refuses(message):
            return Outcome(LEFT_ALONE)
        if not confirms(message):
            return None
        now = self._clock()
        if now - confirmation.asked_at > self._ttl:
            minutes = int(self._ttl.total_seconds() // 60)
            return Outcome(
                f"I asked more than {minutes} minutes ago, so I did nothing. "
                "Ask again if you still want it."
            )
        actions = []
        tools = self.tools.for_owner(owner)
        for held in confirmation.calls:
            arguments: Json = {"task_id": held.task_id}
            result = await tools.call(held.tool, arguments)
            actions.append(Action(tool=held.tool, arguments=arguments, result=result.data))
        replies = [describe(a.tool, a.arguments, a.result, now) for a in actions]
        return Outcome("\n".join(replies), actions, focus=focus_of(actions))

    async def call_direct(
        self, owner: int, name: str, arguments: Mapping[str, Any] | None
    ) -> ToolResult:
        """A call of an MCP client acting for `owner`: deleting more than one task needs
        `confirm: true`."""
        tools = self.tools.for_owner(owner)
        given = dict(arguments or {})
        if name != "delete_tasks":
            return await tools.call(name, given)
        confirmed = given.pop(CONFIRM_ARGUMENT, False)
        if not isinstance(confirmed, bool):
            return ToolResult(
                {"error": f"invalid arguments: {CONFIRM_ARGUMENT}: must be true or false"},
                ok=False,
            )
        ids = _task_ids(name, given)
        if confirmed or ids is None or len(ids) <= 1:
            return await tools.call(name, given)
        tasks = []
        for task_id in ids:
            found = await tools.call("get_task", {"task_id": task_id})
            if not found.ok:
                return found
            tasks.append({"id": task_id, "title": found.data["task"]["title"]})
        return ToolResult(
            {
                "error": f"deleting {len(ids)} tasks needs {CONFIRM_ARGUMENT}: true; nothing "
                "was deleted. Ask the user to confirm these tasks, then call again with "
                f"{CONFIRM_ARGUMENT}: true.",
                "would_delete": tasks,
            },
            ok=False,
        )


def direct_parameters(tool: Tool) -> Json:
    """The JSON schema of a tool's arguments for MCP clients: delete_tasks takes `confirm`."""
    schema = tool.parameters
    if tool.name == "delete_tasks":
        schema["properties"][CONFIRM_ARGUMENT] = {
            "type": "boolean",
            "description": "Needed to delete more than one task: true only once the user has "
            "confirmed deleting exactly these tasks.",
        }
    return schema


def question(confirmation: Confirmation) -> str:
    lines = []
    for rule in (_DELETE, _COMPLETE):
        calls = [held for held in confirmation.calls if held.tool == rule.one_by_one]
        if calls:
            which = "this task" if len(calls) == 1 else f"these {len(calls)} tasks"
            lines.append(f"{rule.verb} {which}?")
            lines.extend(f"• #{held.task_id} {held.title}" for held in calls)
    lines.append("Reply 'yes' to go ahead or 'no' to leave them.")
    return "\n".join(lines)


def _task_ids(name: str, arguments: Mapping[str, Any]) -> list[int] | None:
    """The tasks a guarded call would change; None for other calls and invalid arguments (the
    tool set reports those)."""
    if name not in _RULES:
        return None
    try:
        if name == "delete_tasks":
            return list(dict.fromkeys(args.SeveralTasks.model_validate(dict(arguments)).task_ids))
        return [args.OneTask.model_validate(dict(arguments)).task_id]
    except ValidationError:
        return None
