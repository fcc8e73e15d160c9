"""POST /api/chat's use case: one message of a conversation, answered by Gemini when a key is
configured (falling back to the offline assistant when Gemini fails), else offline."""

from dataclasses import dataclass, replace
from typing import Literal

from app.chat.conversation import Action, ConversationStore, Turn, new_conversation_id
from app.chat.gemini import API_KEY_SECRET, GeminiAgent, GeminiUnavailable
from app.chat.offline.assistant import OfflineAssistant
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
        offline: OfflineAssistant,
        gemini: GeminiAgent,
        secrets: Secrets,
    ) -> None:
        self._store = store
        self._offline = offline
        self._gemini = gemini
        self._secrets = secrets

    async def reply(self, message: str, conversation_id: str | None = None) -> ChatReply:
        conversation_id = conversation_id or new_conversation_id()
        conversation = await self._store.load(conversation_id)
        key = await self._secrets.get(API_KEY_SECRET)
        assistant: AssistantName = "offline"
        if key is None or self._offline.awaits_answer(conversation, message):
            outcome = await self._offline.respond(conversation, message)
        else:
            try:
                outcome = await self._gemini.respond(key, conversation, message)
                assistant = "gemini"
            except GeminiUnavailable as error:
                outcome = await self._offline.respond(conversation, message)
                note = f"({error}, so the offline assistant answered.)"
                outcome = replace(outcome, reply=f"{outcome.reply}\n{note}")
        turn = Turn(message=message, reply=outcome.reply, actions=outcome.actions)
        await self._store.record(conversation_id, turn, outcome)
        return ChatReply(outcome.reply, conversation_id, outcome.actions, assistant)
