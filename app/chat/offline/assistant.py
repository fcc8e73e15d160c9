"""The offline assistant: parses a message, finds the tasks it means, calls the tools, and says
what it did. It asks instead of guessing when a reference fits several tasks; the calls that
need the user's "yes" are held by app.chat.confirmation."""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.chat.confirmation import LEFT_ALONE, GuardedTools
from app.chat.conversation import Conversation, Outcome, Pending, focus_of
from app.chat.offline.commands import HELP, parse
from app.chat.offline.intents import Answer, Intent, Target, Unclear
from app.chat.offline.replies import describe
from app.chat.tool_args import MAX_LIST_LIMIT
from app.chat.tools import Json

MAX_CANDIDATES = 10
MAX_TARGETS = MAX_LIST_LIMIT


class OfflineAssistant:
    def __init__(self, timezone: str, clock: Callable[[], datetime]) -> None:
        self._timezone = timezone
        self._zone = ZoneInfo(timezone)
        self._clock = clock

    async def respond(
        self, conversation: Conversation, message: str, tools: GuardedTools
    ) -> Outcome:
        now = self._clock().astimezone(self._zone)
        parsed = parse(message, now, self._timezone)
        pending = conversation.pending
        if isinstance(parsed, Answer):
            return await self._answer(parsed, pending, tools, now)
        if isinstance(parsed, Unclear):
            return Outcome(parsed.reply)
        choice = _chosen_by_id(parsed, pending)
        if pending is not None and choice is not None:
            return await self._run(tools, pending.tool, pending.arguments, [choice], now)
        return await self._act(parsed, conversation, tools, now)

    def awaits_answer(self, conversation: Conversation, message: str) -> bool:
        """Whether `message` answers what this assistant asked in `conversation`."""
        if conversation.pending is None:
            return False
        now = self._clock().astimezone(self._zone)
        parsed = parse(message, now, self._timezone)
        return isinstance(parsed, Answer) or (
            isinstance(parsed, Intent) and _chosen_by_id(parsed, conversation.pending) is not None
        )

    async def _answer(
        self, answer: Answer, pending: Pending | None, tools: GuardedTools, now: datetime
    ) -> Outcome:
        if pending is None:
            return Outcome(f"There is nothing waiting for an answer. {HELP}")
        if answer.kind == "no":
            return Outcome(LEFT_ALONE)
        if answer.kind == "choice":
            index = len(pending.task_ids) - 1 if answer.choice == -1 else answer.choice - 1
            if 0 <= index < len(pending.task_ids):
                return await self._run(
                    tools, pending.tool, pending.arguments, [pending.task_ids[index]], now
                )
        return Outcome(
            "Please answer with one of the numbers I listed, or say no.", pending=pending
        )

    async def _act(
        self, intent: Intent, conversation: Conversation, tools: GuardedTools, now: datetime
    ) -> Outcome:
        if intent.target is None:
            return await self._run(tools, intent.tool, intent.arguments, [], now)
        found = await self._resolve(intent, conversation, tools)
        if isinstance(found, Outcome):
            return found
        return await self._run(tools, intent.tool, intent.arguments, found, now)

    async def _resolve(
        self, intent: Intent, conversation: Conversation, tools: GuardedTools
    ) -> list[int] | Outcome:
        target = intent.target
        assert target is not None
        if target.ids:
            return list(target.ids)
        if target.last:
            if conversation.focus is None:
                return Outcome("Which task do you mean? Say its number, e.g. 'task 3'.")
            return [conversation.focus]
        if target.every is not None:
            if intent.tool == "complete_task":
                return await self._every(tools, {"status": "pending", **target.every})
            return await self._every(tools, target.every)
        return await self._by_words(intent, target, tools)

    async def _every(self, tools: GuardedTools, filters: Json) -> list[int] | Outcome:
        found = await tools.call("list_tasks", {**filters, "limit": MAX_TARGETS})
        ids = [task["id"] for task in found.data.get("tasks", [])]
        return ids or Outcome("No tasks match that, so nothing changed.")

    async def _by_words(
        self, intent: Intent, target: Target, tools: GuardedTools
    ) -> list[int] | Outcome:
        candidates = await self._search(tools, target.words)
        if not candidates:
            return Outcome(f"I couldn't find a task matching '{target.words}'.")
        exact = [task for task in candidates if task["title"].casefold() == target.words.casefold()]
        if len(exact) == 1:
            return [exact[0]["id"]]
        reopening = intent.arguments == {"status": "pending"}
        preferred = "completed" if reopening else "pending"
        likely = [task for task in candidates if task["status"] == preferred] or candidates
        if len(likely) == 1:
            return [likely[0]["id"]]
        shown = likely[:MAX_CANDIDATES]
        listed = "\n".join(
            f"{index}. #{task['id']} {task['title']}" for index, task in enumerate(shown, start=1)
        )
        return Outcome(
            f"Several tasks match '{target.words}'. Which one do you mean?\n{listed}\n"
            "Reply with its number in this list (or 'task <id>').",
            pending=Pending(
                tool=intent.tool,
                arguments=intent.arguments,
                task_ids=[task["id"] for task in shown],
            ),
        )

    async def _search(self, tools: GuardedTools, words: str) -> list[Json]:
        """Tasks whose title or description holds `words`, or else every one of its words."""
        found = await tools.call("list_tasks", {"query": words, "limit": MAX_TARGETS})
        tasks: list[Json] = found.data.get("tasks", [])
        significant = [word.casefold() for word in words.split() if len(word) > 2]
        if tasks or len(significant) < 2:
            return tasks
        longest = max(significant, key=len)
        wider = await tools.call("list_tasks", {"query": longest, "limit": MAX_TARGETS})
        return [
            task
            for task in wider.data.get("tasks", [])
            if all(word in task["title"].casefold() for word in significant)
        ]

    async def _run(
        self, tools: GuardedTools, tool: str, arguments: Json, task_ids: list[int], now: datetime
    ) -> Outcome:
        calls: list[dict[str, Any]] = (
            [{**arguments, "task_id": task_id} for task_id in task_ids] if task_ids else [arguments]
        )
        answered = await tools.call_all([(tool, call) for call in calls])
        actions = [call.action() for call in answered if not call.held]
        replies = [describe(a.tool, a.arguments, a.result, now) for a in actions]
        return Outcome("\n".join(replies), actions, focus=focus_of(actions))


def _chosen_by_id(intent: Intent, pending: Pending | None) -> int | None:
    """ "task 7" answers "which one?" when task 7 was among the ones listed."""
    if pending is None or intent.tool != "get_task":
        return None
    target = intent.target
    if target is not None and len(target.ids) == 1 and target.ids[0] in pending.task_ids:
        return target.ids[0]
    return None
