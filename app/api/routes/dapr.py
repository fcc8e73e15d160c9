"""What the Dapr sidecar calls: topic deliveries, due jobs and service invocation.

Only the sidecar may call these: it sends the app API token (APP_API_TOKEN) with every call.
"""

import hmac
import json
import logging
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Request, status
from pydantic import BaseModel, ConfigDict

from app.adapters.dapr.jobs import due_time_of
from app.api.deps import Tasks
from app.api.schemas import MAX_ID
from app.domain.events import DEAD_LETTERS
from app.ports import EventHandler, JobHandler
from app.services.dead_letters import DeadLetterForwarder, DeadLetterService
from app.services.errors import MalformedEvent

log = logging.getLogger(__name__)


def sidecar_only(dapr_api_token: Annotated[str | None, Header()] = None) -> None:
    expected = os.environ.get("APP_API_TOKEN")
    if not expected or not hmac.compare_digest(dapr_api_token or "", expected):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "only the Dapr sidecar may call this")


def callbacks_router(
    subscriptions: Mapping[str, Sequence[EventHandler]],
    dead_letters: DeadLetterService | DeadLetterForwarder,
    on_job: JobHandler | None = None,
    *,
    keeps_dead_letter_topic: bool = False,
) -> APIRouter:
    """Topic deliveries at /events/<topic> (declarative subscriptions), /job/<name>, and,
    with `keeps_dead_letter_topic`, the dead-letter topic's deliveries.

    A delivery that is not a TaskFlow event, or that a handler rejects as malformed, is set
    aside in `dead_letters` and answered as done. Any other failure answers 500, and the
    sidecar delivers it again for as long as it takes (a database that is down)."""
    router = APIRouter(dependencies=[Depends(sidecar_only)], include_in_schema=False)

    if keeps_dead_letter_topic and isinstance(dead_letters, DeadLetterService):
        keeper = dead_letters

        # Declared before /events/{topic}: whatever arrives here is kept, malformed or not.
        @router.post(f"/events/{DEAD_LETTERS}")
        async def deliver_dead_letter(request: Request) -> dict[str, str]:
            await keeper.record_delivery(_json_or_text(await request.body()))
            return {"status": "SUCCESS"}

    @router.post("/events/{topic}")
    async def deliver(topic: str, request: Request) -> dict[str, str]:
        envelope = _json_or_text(await request.body())
        event = envelope.get("data") if isinstance(envelope, dict) else None
        if not isinstance(event, dict) or "event_id" not in event or "event_type" not in event:
            log.warning("malformed event on %s: %.200r", topic, envelope)
            payload = envelope if isinstance(envelope, dict) else {"data": envelope}
            await dead_letters.record(topic, payload, "not a TaskFlow event")
            return {"status": "SUCCESS"}
        for handler in subscriptions.get(topic, ()):
            try:
                await handler(topic, event)
            except MalformedEvent as error:
                log.warning("event rejected on %s: %s", topic, error)
                await dead_letters.record(topic, event, str(error))
        return {"status": "SUCCESS"}

    if on_job is not None:
        job_handler = on_job

        @router.post("/job/{name}")
        async def job_due(name: str, request: Request) -> dict[str, str]:
            try:
                due_time = due_time_of(json.loads(await request.body()))
            except ValueError:
                due_time = None
            if due_time is None:
                # Not armed by this version (its data lacks the due time): acting on it could
                # fire at a stale time. Answered as done, so the scheduler does not retry it;
                # the reconciliation sweep arms again whatever is still pending.
                log.warning("job %s came without its due time; dropped", name)
                return {"status": "DROPPED"}
            await job_handler(name, due_time)
            return {"status": "SUCCESS"}

    return router


def _json_or_text(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


class SuccessorRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    due_date: datetime
    rule: str


class SuccessorResponse(BaseModel):
    created_task_id: int | None


invocation_router = APIRouter(
    prefix="/internal", dependencies=[Depends(sidecar_only)], include_in_schema=False
)


@invocation_router.post("/tasks/{parent_id}/successor", response_model=SuccessorResponse)
async def create_successor(
    parent_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: SuccessorRequest, tasks: Tasks
) -> SuccessorResponse:
    """The recurrence processor's call: at most one successor per parent, however often."""
    created = await tasks.create_successor(parent_id, body.due_date, body.rule)
    return SuccessorResponse(created_task_id=created.id if created else None)
