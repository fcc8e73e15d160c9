"""The chat panel: a conversation with the assistant; what it did is shown as small cards and
the board is listed again at once when it changed tasks."""

import dataclasses
import logging
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from app.chat.conversation import Action
from app.chat.service import ChatReply
from app.domain.offsets import timing
from app.ui.format import relative_due
from app.ui.state.board import BoardState
from app.ui.state.event import event
from app.ui.state.session import owner_of
from app.web import current_app

log = logging.getLogger(__name__)

MESSAGE_MAX = 4000
CHAT_SCROLL_ID = "chat-scroll"
# Scroll the conversation, not the page, to its newest message.
_SCROLL_DOWN = rx.call_script(
    f"document.querySelector('#{CHAT_SCROLL_ID} [data-radix-scroll-area-viewport]')"
    "?.scrollTo({top: 1e9, behavior: 'smooth'})"
)
CHANGES_TASKS = frozenset(
    {
        "add_task",
        "update_task",
        "complete_task",
        "delete_task",
        "set_priority",
        "add_tags",
        "remove_tags",
        "add_reminder",
    }
)
_LABELS = {
    "add_task": "Added",
    "update_task": "Updated",
    "complete_task": "Completed",
    "delete_task": "Deleted",
    "set_priority": "Priority set",
    "add_tags": "Tagged",
    "remove_tags": "Untagged",
    "add_reminder": "Reminder set",
    "get_task": "Looked up",
    "list_tasks": "Searched",
    "list_reminders": "Reminders",
}


@dataclasses.dataclass
class ActionCard:
    label: str = ""
    title: str = ""
    detail: str = ""
    failed: bool = False


@dataclasses.dataclass
class ChatMessage:
    mine: bool = False
    text: str = ""
    cards: list[ActionCard] = dataclasses.field(default_factory=list)


class ChatState(rx.State):
    messages: rx.Field[list[ChatMessage]] = rx.field(default_factory=list)
    conversation_id: rx.Field[str] = rx.field("")
    sending: rx.Field[bool] = rx.field(False)

    @event(background=True)
    async def send(self, form: dict[str, Any]) -> Any:
        message = str(form.get("message", "")).strip()[:MESSAGE_MAX]
        async with self:
            if not message or self.sending:
                return
            self.sending = True
            self.messages = [*self.messages, ChatMessage(mine=True, text=message)]
            conversation_id = self.conversation_id or None
            owner = await owner_of(self)
        yield rx.set_value("chat-input", "")
        yield _SCROLL_DOWN
        try:
            reply: ChatReply | None = await current_app().chat.reply(
                owner, message, conversation_id
            )
        except Exception:
            log.exception("chat reply failed")
            reply = None
        async with self:
            self.sending = False
            if reply is None:
                answer = ChatMessage(text="Sorry, the assistant failed to answer. Try again.")
            else:
                self.conversation_id = reply.conversation_id
                cards = [card_of(action) for action in reply.actions]
                answer = ChatMessage(text=reply.response, cards=cards)
            self.messages = [*self.messages, answer]
            if reply is not None and any(a.tool in CHANGES_TASKS for a in reply.actions):
                await (await self.get_state(BoardState))._reload()
        yield _SCROLL_DOWN

    @event
    def clear(self) -> None:
        self.messages = []
        self.conversation_id = ""


def card_of(action: Action) -> ActionCard:
    """A card for one tool call: what was done, to which task, and the gist."""
    label = _LABELS.get(action.tool, action.tool.replace("_", " ").capitalize())
    result = action.result
    if "error" in result:
        return ActionCard(label=f"{label}: failed", detail=str(result["error"]), failed=True)
    task = result.get("task") or result.get("deleted")
    if isinstance(task, dict):
        return ActionCard(label=label, title=str(task.get("title", "")), detail=_gist(task))
    if isinstance(result.get("reminder"), dict):
        reminder = result["reminder"]
        return ActionCard(
            label=label,
            title=f"Task {reminder.get('task_id')}",
            detail=f"Reminder {timing(str(reminder.get('reminder_offset')))}",
        )
    if isinstance(result.get("tasks"), list):
        titles = [str(found.get("title", "")) for found in result["tasks"][:3]]
        total = int(result.get("total", len(result["tasks"])))
        return ActionCard(label=label, title=f"{total} found", detail=", ".join(titles))
    if isinstance(result.get("reminders"), list):
        return ActionCard(label=label, title=f"{len(result['reminders'])} found")
    return ActionCard(label=label)


def _gist(task: dict[str, Any]) -> str:
    parts = [f"{task.get('priority', 'medium')} priority"]
    if task.get("due_date"):
        parts.append(relative_due(datetime.fromisoformat(task["due_date"]), datetime.now(UTC)))
    if task.get("recurrence") not in (None, "none"):
        parts.append(f"repeats {task['recurrence']}")
    if task.get("tags"):
        parts.append(" ".join(f"#{tag}" for tag in task["tags"]))
    if task.get("status") == "completed":
        parts.append("completed")
    return " · ".join(parts)
