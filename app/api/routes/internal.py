"""Service invocation from the processors (Dapr mode): only their sidecars may call it."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict

from app.api.deps import Tasks
from app.callbacks import sidecar_only
from app.domain.task_fields import MAX_ID


class SuccessorRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    due_date: datetime
    rule: str


class SuccessorResponse(BaseModel):
    created_task_id: int | None


router = APIRouter(
    prefix="/internal", dependencies=[Depends(sidecar_only)], include_in_schema=False
)


@router.post("/tasks/{parent_id}/successor", response_model=SuccessorResponse)
async def create_successor(
    parent_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: SuccessorRequest, tasks: Tasks
) -> SuccessorResponse:
    """The recurrence processor's call: at most one successor per parent, however often."""
    created = await tasks.create_successor(parent_id, body.due_date, body.rule)
    return SuccessorResponse(created_task_id=created.id if created else None)
