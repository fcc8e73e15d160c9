"""One-shot jobs in the Dapr scheduler; it calls `POST /job/<name>` on this app when due."""

from datetime import datetime

from dapr.clients.exceptions import DaprGrpcError
from dapr.clients.grpc._jobs import ConstantFailurePolicy, Job
from grpc import StatusCode

from app.adapters.dapr.sidecar import Sidecar

# A callback that fails (the app is restarting, Kafka is down) is tried again.
RETRIES = 20
RETRY_INTERVAL_SECONDS = 3


class SchedulerJobs:
    def __init__(self, sidecar: Sidecar) -> None:
        self._sidecar = sidecar

    async def schedule(self, name: str, due_time: datetime) -> None:
        job = Job(
            name=name,
            due_time=due_time.isoformat(),
            failure_policy=ConstantFailurePolicy(
                max_retries=RETRIES, interval_seconds=RETRY_INTERVAL_SECONDS
            ),
        )
        await self._sidecar.client.schedule_job(job, overwrite=True)

    async def cancel(self, name: str) -> None:
        try:
            await self._sidecar.client.delete_job(name)
        except DaprGrpcError as error:
            if error.code() != StatusCode.NOT_FOUND:
                raise
