"""/api/dead-letters: events set aside as malformed, for an operator to read and replay. They
are the installation's, not a user's: admins only."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from app.api.deps import DeadLetters, admin_user
from app.api.responses import CONFLICT, NOT_FOUND, TOTAL_COUNT
from app.api.schemas import DeadLetterOut, DeadLetterQuery
from app.domain.task_fields import MAX_ID

router = APIRouter(
    prefix="/api/dead-letters", tags=["dead letters"], dependencies=[Depends(admin_user)]
)


@router.get("", response_model=list[DeadLetterOut], responses=TOTAL_COUNT)
async def list_dead_letters(
    query: Annotated[DeadLetterQuery, Query()], dead_letters: DeadLetters, response: Response
) -> list[DeadLetterOut]:
    """Newest first; the total in `X-Total-Count`."""
    letters, total = await dead_letters.page(query.replayed, query.limit, query.offset)
    response.headers["X-Total-Count"] = str(total)
    return [DeadLetterOut.of(letter) for letter in letters]


@router.post(
    "/{dead_letter_id:int}/replay", response_model=DeadLetterOut, responses=NOT_FOUND | CONFLICT
)
async def replay_dead_letter(
    dead_letter_id: Annotated[int, Path(ge=1, le=MAX_ID)], dead_letters: DeadLetters
) -> DeadLetterOut:
    """Publish the event again to its topic (through the outbox) and mark it replayed;
    404 for an unknown id, 409 when it was replayed already."""
    return DeadLetterOut.of(await dead_letters.replay(dead_letter_id))
