"""Calls into the app through Dapr service invocation."""

import json
from datetime import datetime

from app.adapters.dapr.sidecar import Sidecar

APP_ID = "taskflow"


class SidecarInvoker:
    def __init__(self, sidecar: Sidecar) -> None:
        self._sidecar = sidecar

    async def create_successor(
        self, owner: int, parent_id: int, due_date: datetime, rule: str
    ) -> None:
        await self._sidecar.client.invoke_method(
            APP_ID,
            f"internal/tasks/{parent_id}/successor",
            data=json.dumps({"user_id": owner, "due_date": due_date.isoformat(), "rule": rule}),
            content_type="application/json",
            http_verb="POST",
        )
