"""Key-value state in the sidecar's state store, with first-write-wins etags."""

import json
from typing import Any

from dapr.clients.exceptions import DaprGrpcError
from dapr.clients.grpc._state import Concurrency, StateOptions

from app.adapters.dapr.sidecar import Sidecar
from app.ports import ConcurrencyError


class SidecarKeyValue:
    def __init__(self, sidecar: Sidecar, store: str = "statestore") -> None:
        self._sidecar = sidecar
        self._store = store

    async def get(self, key: str) -> tuple[Any, str | None]:
        response = await self._sidecar.client.get_state(self._store, key)
        if not response.data:
            return None, None
        return json.loads(response.data), response.etag or None

    async def save(self, key: str, value: Any, etag: str | None) -> str:
        try:
            await self._sidecar.client.save_state(
                self._store,
                key,
                json.dumps(value),
                etag=etag,
                options=StateOptions(concurrency=Concurrency.first_write),
            )
        except DaprGrpcError as error:
            raise ConcurrencyError(f"{key} changed since it was read") from error
        _, new_etag = await self.get(key)
        return new_etag or ""
