"""Secrets through the Dapr sidecar: each is a store entry of its own."""

from dataclasses import dataclass

import grpc
from dapr.clients.exceptions import DaprGrpcError

from app.adapters.dapr.secrets import SidecarSecrets, entry_name
from app.adapters.dapr.sidecar import Sidecar
from app.chat.gemini_settings import API_KEY_SECRET


@dataclass
class Answer:
    secret: dict[str, str]


class Denied(grpc.RpcError):
    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.PERMISSION_DENIED

    def details(self) -> str:
        return "access denied by policy"

    def trailing_metadata(self) -> None:
        return None


class Store:
    def __init__(self, entries: dict[str, dict[str, str]]) -> None:
        self.entries = entries
        self.asked: list[tuple[str, str]] = []

    async def get_secret(self, store_name: str, key: str) -> Answer:
        self.asked.append((store_name, key))
        if key not in self.entries:
            raise DaprGrpcError(Denied())
        return Answer(self.entries[key])


def secrets_over(store: Store) -> SidecarSecrets:
    sidecar = Sidecar()
    sidecar._client = store  # type: ignore[assignment]
    return SidecarSecrets(sidecar)


async def test_the_gemini_key_is_its_own_entry() -> None:
    assert entry_name(API_KEY_SECRET) == "taskflow-gemini-api-key"
    store = Store({"taskflow-gemini-api-key": {"value": "key-1"}})
    assert await secrets_over(store).get(API_KEY_SECRET) == "key-1"
    assert store.asked == [("secretstore", "taskflow-gemini-api-key")]


async def test_a_missing_denied_or_empty_secret_is_none() -> None:
    store = Store({"taskflow-gemini-api-key": {"value": ""}, "taskflow-other": {"x": "1"}})
    secrets = secrets_over(store)
    assert await secrets.get(API_KEY_SECRET) is None
    assert await secrets.get("OTHER") is None
    assert await secrets.get("NOT_THERE") is None
