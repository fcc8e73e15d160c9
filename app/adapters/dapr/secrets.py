"""Secrets from the sidecar's secret store."""

from dapr.clients.exceptions import DaprGrpcError

from app.adapters.dapr.sidecar import Sidecar


class SidecarSecrets:
    def __init__(self, sidecar: Sidecar, store: str = "secretstore") -> None:
        self._sidecar = sidecar
        self._store = store

    async def get(self, name: str) -> str | None:
        try:
            response = await self._sidecar.client.get_secret(self._store, name)
        except DaprGrpcError:
            return None
        return response.secret.get(name) or None
