"""A conversation's state, kept in the KeyValue port under its owner: its last turns with the
tool calls and their results, the task "it" refers to, the calls held for the user's "yes", and
what the offline assistant waits for. Another user's conversation id names a conversation of
one's own, new and empty."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from app.ports import ConcurrencyError, KeyValue
from app.services.errors import Conflict

SAVE_ATTEMPTS = 5


@dataclass(frozen=True)
class HistoryLimits:
    """How much of a conversation is kept: its last `turns` turns, fewer while they (with their
    tool calls and results) take more than `chars` characters of JSON. The newest turn is kept
    whatever its size; a message and a listing are bounded on their own."""

    turns: int = 12
    chars: int = 40_000


class Action(BaseModel):
    """One tool call and what it returned."""

    tool: str
    arguments: dict[str, Any]
    result: dict[str, Any]


class Turn(BaseModel):
    message: str
    reply: str
    actions: list[Action] = []


class Pending(BaseModel):
    """A tool call of the offline assistant waiting for the user to choose one of the tasks."""

    tool: str
    arguments: dict[str, Any]
    task_ids: list[int]


class HeldCall(BaseModel):
    """A call on one task that waits for the user's "yes" (app.chat.confirmation)."""

    tool: str
    task_id: int
    title: str


class Confirmation(BaseModel):
    """The calls held while answering one message, and when the user was asked about them."""

    calls: list[HeldCall]
    asked_at: datetime


class Conversation(BaseModel):
    turns: list[Turn] = []
    pending: Pending | None = None
    confirmation: Confirmation | None = None
    focus: int | None = None

    def after(self, turn: Turn, outcome: "Outcome", limits: HistoryLimits) -> "Conversation":
        """This conversation with `turn` added, its oldest turns dropped beyond `limits`."""
        kept = [turn]
        size = len(turn.model_dump_json())
        for earlier in reversed(self.turns[-(limits.turns - 1) :] if limits.turns > 1 else []):
            size += len(earlier.model_dump_json())
            if size > limits.chars:
                break
            kept.append(earlier)
        return Conversation(
            turns=kept[::-1],
            pending=outcome.pending,
            confirmation=outcome.confirmation,
            focus=outcome.focus if outcome.focus is not None else self.focus,
        )


@dataclass(frozen=True)
class Outcome:
    """What an assistant made of one message."""

    reply: str
    actions: list[Action] = field(default_factory=list)
    pending: Pending | None = None
    confirmation: Confirmation | None = None
    focus: int | None = None


def focus_of(actions: list[Action]) -> int | None:
    """The task "it" refers to after `actions`: the one task the last of them was about."""
    if not actions:
        return None
    result = actions[-1].result
    if isinstance(result.get("task"), dict):
        return int(result["task"]["id"])
    if isinstance(result.get("reminder"), dict):
        return int(result["reminder"]["task_id"])
    tasks = result.get("tasks")
    if isinstance(tasks, list) and len(tasks) == 1:
        return int(tasks[0]["id"])
    return None


def new_conversation_id() -> str:
    return uuid.uuid4().hex


class ConversationStore:
    def __init__(self, kv: KeyValue, limits: HistoryLimits) -> None:
        self._kv = kv
        self._limits = limits

    async def load(self, owner: int, conversation_id: str) -> Conversation:
        value, _ = await self._kv.get(_key(owner, conversation_id))
        return _parse(value)

    async def record(self, owner: int, conversation_id: str, turn: Turn, outcome: Outcome) -> None:
        """Append `turn`; when someone else saved meanwhile, append to what they saved."""
        key = _key(owner, conversation_id)
        for _ in range(SAVE_ATTEMPTS):
            value, etag = await self._kv.get(key)
            updated = _parse(value).after(turn, outcome, self._limits)
            try:
                await self._kv.save(key, updated.model_dump(mode="json"), etag)
                return
            except ConcurrencyError:
                continue
        raise Conflict(f"conversation {conversation_id} kept changing while it was saved")


def _key(owner: int, conversation_id: str) -> str:
    return f"chat:{owner}:{conversation_id}"


def _parse(value: Any) -> Conversation:
    if value is None:
        return Conversation()
    try:
        return Conversation.model_validate(value)
    except ValidationError:
        # A conversation stored by an older, incompatible version starts afresh.
        return Conversation()
