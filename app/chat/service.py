"""POST /api/chat's use case: one message of a user's conversation, answered by Gemini when a
key is configured (falling back to the offline assistant when Gemini fails), else offline. The
assistants act for that user, through the tools handed to them."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from app.chat.conversation import Action, ConversationStore, Turn, new_conversation_id
from app.chat.gemini import API_KEY_SECRET, GeminiAgent, GeminiUnavailable
from app.chat.offline.assistant import OfflineAssistant
from app.chat.tools import OwnerTools, ToolSet
from app.ports import Secrets

AssistantName = Literal["gemini", "offline"]


@dataclass(frozen=True)
class ChatReply:
    response: str
    conversation_id: str
    actions: list[Action]
    assistant: AssistantName


class ChatService:
    def __init__(
        self,
        store: ConversationStore,
        tools: ToolSet,
        offline: Callable[[OwnerTools], OfflineAssistant],
        gemini: Callable[[OwnerTools], GeminiAgent],
        secrets: Secrets,
    ) -> None:
        """`offline` and `gemini` make the assistant that acts through a user's tools."""
        self._store = store
        self._tools = tools
        self._offline = offline
        self._gemini = gemini
        self._secrets = secrets

    async def reply(
        self, owner: int, message: str, conversation_id: str | None = None
    ) -> ChatReply:
        conversation_id = conversation_id or new_conversation_id()
        conversation = await self._store.load(owner, conversation_id)
        key = await self._secrets.get(API_KEY_SECRET)
        tools = self._tools.for_owner(owner)
        offline = self._offline(tools)
        assistant: AssistantName = "offline"
        if key is None or offline.awaits_answer(conversation, message):
            outcome = await offline.respond(conversation, message)
        else:
            try:
                outcome = await self._gemini(tools).respond(key, conversation, message)
                assistant = "gemini"
            except GeminiUnavailable as error:
                outcome = await offline.respond(conversation, message)
                note = f"({error}, so the offline assistant answered.)"
                outcome = replace(outcome, reply=f"{outcome.reply}\n{note}")
        turn = Turn(message=message, reply=outcome.reply, actions=outcome.actions)
        await self._store.record(owner, conversation_id, turn, outcome)
        return ChatReply(outcome.reply, conversation_id, outcome.actions, assistant)
