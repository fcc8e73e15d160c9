"""One-shot jobs in the Dapr scheduler; it calls `POST /job/<name>` on this app when due.

Through the sidecar's HTTP Jobs API (`/v1.0-alpha1/jobs`): the SDK's client calls the
stable gRPC method first, which Dapr 1.16 sidecars do not answer in a way it falls back on.
"""

from datetime import datetime

import httpx

from app.adapters.dapr.sidecar import Sidecar

# A callback that fails (the app is restarting, Kafka is down) is tried again.
RETRIES = 20
RETRY_INTERVAL = "3s"


class SchedulerJobs:
    def __init__(self, sidecar: Sidecar) -> None:
        self._sidecar = sidecar

    async def schedule(self, name: str, due_time: datetime) -> None:
        body = {
            "dueTime": due_time.isoformat(),
            # A job without data cannot be delivered to an HTTP app by Dapr 1.16.
            "data": {"job": name},
            "overwrite": True,
            "failurePolicy": {"constant": {"interval": RETRY_INTERVAL, "maxRetries": RETRIES}},
        }
        async with self._http() as http:
            response = await http.post(f"/v1.0-alpha1/jobs/{name}", json=body)
            response.raise_for_status()

    async def cancel(self, name: str) -> None:
        async with self._http() as http:
            response = await http.delete(f"/v1.0-alpha1/jobs/{name}")
            if response.status_code != httpx.codes.NOT_FOUND:
                response.raise_for_status()

    def _http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self._sidecar.http_url, headers=self._sidecar.http_headers, timeout=10
        )
