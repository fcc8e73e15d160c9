"""What a Dapr sidecar calls on its process: topic deliveries, due jobs, and (on the app) the
recurrence processor's request for a successor.

Only the sidecar may call these: it sends the process's app API token (APP_API_TOKEN, one
per app) with every call.
"""

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field

from app.adapters.dapr.jobs import due_time_of
from app.domain.events import DEAD_LETTERS
from app.domain.models import Task
from app.domain.task_fields import MAX_ID
from app.ports import BusUnavailable, JobHandler, StoreUnavailable
from app.services.dead_letters import DeadLetterService
from app.services.dispatch import Dispatcher

log = logging.getLogger(__name__)


def sidecar_only(app_token: str | None) -> Callable[[str | None], Awaitable[None]]:
    """The dependency that lets through only calls carrying `app_token` (none without one)."""
    expected = (app_token or "").encode()

    # async: a plain function would be run in a worker thread for every delivery.
    async def check(dapr_api_token: Annotated[str | None, Header()] = None) -> None:
        # Bytes: compare_digest refuses a str with non-ASCII characters, which a client can
        # put in a header.
        given = (dapr_api_token or "").encode()
        if not expected or not hmac.compare_digest(given, expected):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "only the Dapr sidecar may call this")

    return check


@contextlib.contextmanager
def _again_if_unavailable(path: str) -> Iterator[None]:
    """A database or broker that is down answers 503, said in one line: the sidecar (or the
    scheduler) calls again, so it is no error of this process."""
    try:
        yield
    except (StoreUnavailable, BusUnavailable) as error:
        log.warning("%s: %s; it is delivered again", path, error)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(error)) from None


# (owner, parent_id, due_date, rule)
CreateSuccessor = Callable[[int, int, datetime, str], Awaitable[Task | None]]


# What becomes of one event of a bulk delivery: done, or delivered again later.
BulkStatus = Literal["SUCCESS", "RETRY"]


class BulkEntry(BaseModel):
    entry_id: str = Field(alias="entryId")
    event: Any = None


class BulkDelivery(BaseModel):
    """A bulk subscription's batch, as the sidecar posts it."""

    entries: list[BulkEntry]


class EntryStatus(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    entry_id: str = Field(alias="entryId")
    status: BulkStatus


class BulkStatuses(BaseModel):
    statuses: list[EntryStatus]


class SuccessorRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The parent's owner, from the task.completed event: the successor is theirs too.
    user_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    due_date: datetime
    rule: str


class SuccessorResponse(BaseModel):
    created_task_id: int | None


def callbacks_router(
    app_token: str | None,
    dispatcher: Dispatcher,
    on_job: JobHandler | None = None,
    dead_letter_keeper: DeadLetterService | None = None,
    create_successor: CreateSuccessor | None = None,
) -> APIRouter:
    """What the sidecar calls, with `app_token`: topic deliveries at /events/<topic>
    (declarative subscriptions) and their batches at /events/<topic>/bulk, /job/<name>, with
    a `dead_letter_keeper` the dead-letter topic's deliveries, and with `create_successor`
    /internal/tasks/<id>/successor (service invocation from the recurrence processor).

    A delivery the dispatcher sets aside is answered as done. A database or broker that is
    down answers 503, any other failure 500 (in a batch: that event's status RETRY), and the
    sidecar delivers it again for as long as it takes."""
    router = APIRouter(dependencies=[Depends(sidecar_only(app_token))], include_in_schema=False)

    if dead_letter_keeper is not None:
        keeper = dead_letter_keeper

        # Declared before /events/{topic}: whatever arrives here is kept, malformed or not.
        @router.post(f"/events/{DEAD_LETTERS}")
        async def deliver_dead_letter(request: Request) -> dict[str, str]:
            await keeper.record_delivery(_json_or_text(await request.body()))
            return {"status": "SUCCESS"}

    @router.post("/events/{topic}")
    async def deliver(topic: str, request: Request) -> dict[str, str]:
        with _again_if_unavailable(request.url.path):
            await dispatcher.deliver(topic, _event_of(_json_or_text(await request.body())))
        return {"status": "SUCCESS"}

    async def deliver_entry(topic: str, entry: BulkEntry) -> BulkStatus:
        try:
            await dispatcher.deliver(topic, _event_of(entry.event))
        except (StoreUnavailable, BusUnavailable) as error:
            log.warning("/events/%s/bulk: %s; it is delivered again", topic, error)
            return "RETRY"
        except Exception:
            log.exception("/events/%s/bulk: entry %s failed", topic, entry.entry_id)
            return "RETRY"
        return "SUCCESS"

    @router.post("/events/{topic}/bulk")
    async def deliver_bulk(topic: str, batch: BulkDelivery) -> BulkStatuses:
        """Each event of the batch handled on its own, side by side; a failed one alone is
        delivered again."""
        statuses = await asyncio.gather(*(deliver_entry(topic, entry) for entry in batch.entries))
        return BulkStatuses(
            statuses=[
                EntryStatus(entry_id=entry.entry_id, status=status)
                for entry, status in zip(batch.entries, statuses, strict=True)
            ]
        )

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
            with _again_if_unavailable(request.url.path):
                await job_handler(name, due_time)
            return {"status": "SUCCESS"}

    if create_successor is not None:
        successor_of = create_successor

        @router.post("/internal/tasks/{parent_id}/successor", response_model=SuccessorResponse)
        async def successor(
            parent_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: SuccessorRequest
        ) -> SuccessorResponse:
            """At most one successor per parent, however often it is asked for."""
            created = await successor_of(body.user_id, parent_id, body.due_date, body.rule)
            return SuccessorResponse(created_task_id=created.id if created else None)

    return router


def _event_of(envelope: Any) -> Any:
    """The event a delivery carries: a cloud event's data, or what came when it is none."""
    data = envelope.get("data") if isinstance(envelope, dict) else None
    return data if isinstance(data, dict) else envelope


def _json_or_text(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")
