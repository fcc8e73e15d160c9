"""/api/chat: a message to the assistant, which manages the signed-in user's tasks through
the chat tools."""

from fastapi import APIRouter

from app.api.deps import Chat, WritingUser
from app.api.responses import MALFORMED_BODY
from app.api.schemas import ChatAction, ChatRequest, ChatResponse

router = APIRouter(prefix="/api/chat", tags=["chat"])


@router.post("", response_model=ChatResponse, responses=MALFORMED_BODY)
async def chat(body: ChatRequest, chat: Chat, user: WritingUser) -> ChatResponse:
    reply = await chat.reply(user.id, body.message, body.conversation_id)
    return ChatResponse(
        response=reply.response,
        conversation_id=reply.conversation_id,
        actions=[ChatAction.model_validate(action.model_dump()) for action in reply.actions],
        assistant=reply.assistant,
    )
