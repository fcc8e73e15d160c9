"""Secrets from the sidecar's secret store.

Each secret is a store entry of its own, so that access is granted per secret: the one the
app knows as GEMINI_API_KEY is the entry `taskflow-gemini-api-key`, its value under the key
`value` (a Kubernetes Secret of that name, or a top-level key of the local secrets file).
"""

from dapr.clients.exceptions import DaprGrpcError

from app.adapters.dapr.sidecar import Sidecar

VALUE_KEY = "value"


def entry_name(name: str) -> str:
    """The store entry that holds the secret `name`."""
    return "taskflow-" + name.lower().replace("_", "-")


class SidecarSecrets:
    def __init__(self, sidecar: Sidecar, store: str = "secretstore") -> None:
        self._sidecar = sidecar
        self._store = store

    async def get(self, name: str) -> str | None:
        try:
            response = await self._sidecar.client.get_secret(self._store, entry_name(name))
        except DaprGrpcError:
            return None
        return response.secret.get(VALUE_KEY) or None
