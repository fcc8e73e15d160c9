"""One-shot jobs in the Dapr scheduler; it calls `POST /job/<name>` on this app when due.

Through the sidecar's HTTP Jobs API (`/v1.0-alpha1/jobs`): the SDK's client calls the
stable gRPC method first, which Dapr 1.16 sidecars do not answer in a way it falls back on.
The job's data is what the scheduler posts back as the callback's JSON body.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from app.ports import Clock, utc_now

if TYPE_CHECKING:
    # Only a type here: the job callbacks read due times without loading gRPC and Dapr's SDK.
    from app.adapters.dapr.sidecar import Sidecar

# A callback that fails (the app is restarting, Kafka is down) is tried again; once these
# run out the job is gone, and the reconciliation sweep arms it again. For longer than the
# sweep leaves a reminder that just came due alone (IN_FLIGHT): with 60 s, a reminder due
# shortly before an outage ended waited up to a minute more for the sweep.
RETRIES = 50
RETRY_SECONDS = 3


def job_data(name: str, due_time: datetime) -> dict[str, str]:
    """What the scheduler stores with the job and posts back when it is due."""
    return {"job": name, "due_time": due_time.isoformat()}


def due_time_of(data: Any) -> datetime | None:
    """The due time a job was armed for, from its data; None if the data does not say."""
    if not isinstance(data, dict) or not isinstance(data.get("due_time"), str):
        return None
    try:
        moment = datetime.fromisoformat(data["due_time"])
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def armed_for_answer(response: httpx.Response) -> datetime | None:
    """The sidecar's answer to GET /v1.0-alpha1/jobs/<name>: the job's due time, or None when
    there is no such job (Dapr 1.16 answers 500 with the scheduler's NotFound in the message)."""
    if response.status_code == httpx.codes.NOT_FOUND or (
        response.status_code == httpx.codes.INTERNAL_SERVER_ERROR and "NotFound" in response.text
    ):
        return None
    response.raise_for_status()
    data = response.json().get("data")
    # Read back, the data is a protobuf Any in JSON: {"@type": ".../google.protobuf.Value",
    # "value": <the data as stored>}.
    if isinstance(data, dict) and "@type" in data:
        data = data.get("value")
    return due_time_of(data)


class SchedulerJobs:
    def __init__(self, sidecar: "Sidecar", clock: Clock = utc_now) -> None:
        self._sidecar = sidecar
        self._clock = clock

    async def schedule(self, name: str, due_time: datetime) -> None:
        body = {
            # A time already past is armed for now: the scheduler spaces the retries of a
            # failing job from its due time, so one re-armed overdue called back many times a
            # second until they reached the present.
            "dueTime": max(due_time, self._clock()).isoformat(),
            "data": job_data(name, due_time),
            "overwrite": True,
            "failurePolicy": {"constant": {"interval": f"{RETRY_SECONDS}s", "maxRetries": RETRIES}},
        }
        async with self._http() as http:
            response = await http.post(f"/v1.0-alpha1/jobs/{name}", json=body)
            response.raise_for_status()

    async def cancel(self, name: str) -> None:
        async with self._http() as http:
            response = await http.delete(f"/v1.0-alpha1/jobs/{name}")
            if response.status_code != httpx.codes.NOT_FOUND:
                response.raise_for_status()

    async def armed_for(self, name: str) -> datetime | None:
        """A job armed without a due time in its data counts as missing: arming it again
        gives it one."""
        async with self._http() as http:
            return armed_for_answer(await http.get(f"/v1.0-alpha1/jobs/{name}"))

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self._sidecar.http_url, headers=self._sidecar.http_headers, timeout=10
        )
