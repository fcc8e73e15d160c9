"""The server's VAPID key pair (RFC 8292), which signs every Web Push: generated once and kept
in kv_state, so the app (which gives browsers the public key to subscribe with) and the
notifier (which signs with the private key) share it in every mode, across restarts."""

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.ports import Clock, Sql, utc_now
from app.repositories.key_value import KeyValueRepository

KEY_NAME = "webpush/vapid-key"
SCALAR_BYTES = 32


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_private_key() -> str:
    """A new P-256 private key: its scalar, base64url."""
    scalar = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
    return _encode(scalar.to_bytes(SCALAR_BYTES))


def public_key_of(private_key: str) -> str:
    """The public key of `private_key`, as browsers take it (applicationServerKey): the
    uncompressed point, base64url."""
    scalar = int.from_bytes(base64.urlsafe_b64decode(private_key + "=" * (-len(private_key) % 4)))
    point = (
        ec.derive_private_key(scalar, ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return _encode(point)


class VapidKeys:
    def __init__(self, sql: Sql, clock: Clock = utc_now) -> None:
        self._values = KeyValueRepository(sql)
        self._clock = clock
        self._private: str | None = None

    async def private_key(self) -> str:
        """The install's key: the stored one, or a new one stored by whoever is first."""
        if self._private is None:
            self._private = await self._stored_or_new()
        return self._private

    async def public_key(self) -> str:
        return public_key_of(await self.private_key())

    async def _stored_or_new(self) -> str:
        for _ in range(2):
            found = await self._values.get(KEY_NAME)
            if found is not None:
                return str(found[0]["private_key"])
            await self._values.add(KEY_NAME, {"private_key": new_private_key()}, self._clock())
        raise RuntimeError("the VAPID key was neither found nor stored")
