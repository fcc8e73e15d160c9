"""/api/reminders: list, add and remove the signed-in user's reminders."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from app.api.deps import CurrentUser, Reminders, WritingUser
from app.api.responses import MALFORMED_BODY, NOT_FOUND, TOTAL_COUNT
from app.api.schemas import ReminderCreate, ReminderListQuery
from app.domain.task_fields import MAX_ID
from app.task_views import ReminderOut

router = APIRouter(prefix="/api/reminders", tags=["reminders"])


@router.get("", response_model=list[ReminderOut], responses=TOTAL_COUNT)
async def list_reminders(
    query: Annotated[ReminderListQuery, Query()],
    reminders: Reminders,
    response: Response,
    user: CurrentUser,
) -> list[ReminderOut]:
    """One page, soonest first; the total is in the X-Total-Count header."""
    found, total = await reminders.page(
        user.id, query.task_id, query.status, query.limit, query.offset
    )
    response.headers["X-Total-Count"] = str(total)
    return [ReminderOut.of(r) for r in found]


@router.post(
    "",
    response_model=ReminderOut,
    status_code=status.HTTP_201_CREATED,
    responses=NOT_FOUND | MALFORMED_BODY,
)
async def create_reminder(
    body: ReminderCreate, reminders: Reminders, user: WritingUser
) -> ReminderOut:
    return ReminderOut.of(await reminders.create(user.id, body.task_id, body.reminder_offset))


@router.delete("/{reminder_id:int}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_reminder(
    reminder_id: Annotated[int, Path(ge=1, le=MAX_ID)], reminders: Reminders, user: WritingUser
) -> Response:
    await reminders.delete(user.id, reminder_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
