"""/api/audit: the signed-in user's audit trail, newest first."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.api.deps import Audit, CurrentUser
from app.api.responses import TOTAL_COUNT
from app.api.schemas import AuditOut, AuditQuery

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", response_model=list[AuditOut], responses=TOTAL_COUNT)
async def list_audit(
    query: Annotated[AuditQuery, Query()], audit: Audit, response: Response, user: CurrentUser
) -> list[AuditOut]:
    entries, total = await audit.page(
        user.id, query.task_id, query.event_type, query.limit, query.offset
    )
    response.headers["X-Total-Count"] = str(total)
    return [AuditOut.of(entry) for entry in entries]
