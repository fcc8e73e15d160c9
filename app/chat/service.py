"""POST /api/chat's use case: one message of a user's conversation, answered by Gemini when a
key is configured (falling back to the offline assistant when Gemini fails), else offline. A
message that answers calls held for the user's "yes" is answered by the confirmation guard, in
code. Whoever answers acts for that user, through their tools."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from app.chat.confirmation import ConfirmationGuard
from app.chat.conversation import (
    Action,
    Conversation,
    ConversationStore,
    Outcome,
    Turn,
    new_conversation_id,
)
from app.chat.gemini_settings import API_KEY_SECRET, GeminiUnavailable
from app.chat.offline.assistant import OfflineAssistant
from app.ports import Secrets

if TYPE_CHECKING:
    from app.chat.gemini import GeminiAgent

AssistantName = Literal["gemini", "offline"]


@dataclass(frozen=True)
class ChatReply:
    response: str
    conversation_id: str
    actions: list[Action]
    assistant: AssistantName


class ChatService:
    """`gemini` gives the Gemini agent, made (with Google's SDK loaded) when a key is first
    used."""

    def __init__(
        self,
        store: ConversationStore,
        offline: OfflineAssistant,
        gemini: Callable[[], "GeminiAgent"],
        secrets: Secrets,
        guard: ConfirmationGuard,
    ) -> None:
        self._store = store
        self._offline = offline
        self._gemini = gemini
        self._secrets = secrets
        self._guard = guard

    async def reply(
        self, owner: int, message: str, conversation_id: str | None = None
    ) -> ChatReply:
        conversation_id = conversation_id or new_conversation_id()
        conversation = await self._store.load(owner, conversation_id)
        # A "yes" is given by the code that holds the calls: no assistant answers it.
        confirmed = await self._guard.answer(owner, conversation, message)
        assistant: AssistantName
        if confirmed is not None:
            outcome, assistant = confirmed, "offline"
        else:
            outcome, assistant = await self._respond(owner, conversation, message)
        turn = Turn(message=message, reply=outcome.reply, actions=outcome.actions)
        await self._store.record(owner, conversation_id, turn, outcome)
        return ChatReply(outcome.reply, conversation_id, outcome.actions, assistant)

    async def _respond(
        self, owner: int, conversation: Conversation, message: str
    ) -> tuple[Outcome, AssistantName]:
        key = await self._secrets.get(API_KEY_SECRET)
        if key is not None and not self._offline.awaits_answer(conversation, message):
            tools = self._guard.session(owner, conversation, message)
            try:
                outcome = await self._gemini().respond(key, conversation, message, tools)
                return tools.finish(outcome), "gemini"
            except GeminiUnavailable as error:
                outcome = await self._offline_respond(owner, conversation, message)
                note = f"({error}, so the offline assistant answered.)"
                return replace(outcome, reply=f"{outcome.reply}\n{note}"), "offline"
        return await self._offline_respond(owner, conversation, message), "offline"

    async def _offline_respond(
        self, owner: int, conversation: Conversation, message: str
    ) -> Outcome:
        tools = self._guard.session(owner, conversation, message)
        return tools.finish(await self._offline.respond(conversation, message, tools))
