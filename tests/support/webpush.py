"""A Web Push service on loopback, as a browser's push service receives a push: it checks each
request's VAPID Authorization header on its own (the ES256 signature of the JWT with the key
it names, `aud` its own origin, `exp` to come, `sub` present), decrypts the aes128gcm body
with the subscription's private key and auth secret (RFC 8291), keeps what it read, and
answers as told. And subscriptions made as a browser makes them."""

import base64
import contextlib
import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import certifi
import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.support.certificates import loopback_certificate
from tests.support.servers import http_server

AUTH_BYTES = 16


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Subscription:
    """What a browser keeps of a push subscription: the endpoint, its own P-256 key pair and
    the auth secret it shares with the server that pushes."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    def keys(self) -> dict[str, str]:
        return {"p256dh": self.p256dh, "auth": b64url(self.auth)}

    def channel(self) -> dict[str, Any]:
        """The body of POST /api/channels the settings page sends: PushSubscription.toJSON()."""
        return {"type": "webpush", "target": self.endpoint, "keys": self.keys()}


def new_subscription(endpoint: str) -> Subscription:
    return Subscription(
        endpoint, ec.generate_private_key(ec.SECP256R1()), secrets.token_bytes(AUTH_BYTES)
    )


@dataclass(frozen=True)
class Push:
    path: str
    headers: dict[str, str]
    # The VAPID claims, when the signature checked out; else None.
    claims: dict[str, Any] | None
    # The server's public key named in the Authorization header.
    server_key: str
    # The decrypted payload, or None when it did not decrypt.
    message: dict[str, Any] | None
    # Why the push is not what a push service accepts, if it is not.
    problem: str | None


@dataclass
class PushService:
    # What a sender trusts through SSL_CERT_FILE: the public authorities and this service's
    # certificate (its own authority).
    trust_path: Path
    base_url: str = ""
    received: list[Push] = field(default_factory=list)
    # Each path's subscription (the browser's side), to decrypt what is pushed to it.
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    # Status codes to answer a path with, one per request, before answering 201.
    answers: dict[str, list[int]] = field(default_factory=dict)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def subscribe(self) -> Subscription:
        """A new subscription at an endpoint of this service, as PushManager.subscribe makes."""
        path = f"/push/{uuid.uuid4().hex}"
        subscription = new_subscription(f"{self.base_url}{path}")
        self.subscriptions[path] = subscription
        return subscription

    def at(self, subscription: Subscription) -> list[Push]:
        path = subscription.endpoint.removeprefix(self.base_url)
        return [push for push in list(self.received) if push.path == path]

    def record(self, path: str, headers: dict[str, str], body: bytes) -> int:
        push = self._read(path, headers, body)
        with self._arrived:
            self.received.append(push)
            self._arrived.notify_all()
        planned = self.answers.get(path)
        if planned:
            return planned.pop(0)
        return 201 if push.problem is None else 400

    def _read(self, path: str, headers: dict[str, str], body: bytes) -> Push:
        claims, server_key, problem = None, "", None
        try:
            claims, server_key = self._verified(headers.get("authorization", ""))
        except (ValueError, KeyError, InvalidSignature) as error:
            problem = f"authorization: {error!r}"
        message = None
        subscription = self.subscriptions.get(path)
        if subscription is None:
            problem = problem or "no such subscription"
        elif headers.get("content-encoding") != "aes128gcm":
            problem = problem or f"content-encoding {headers.get('content-encoding')!r}"
        else:
            try:
                plain = http_ece.decrypt(
                    body,
                    private_key=subscription.private_key,
                    auth_secret=subscription.auth,
                    version="aes128gcm",
                )
                message = json.loads(plain)
            except Exception as error:  # any failure to decrypt is what the test reports
                problem = problem or f"decrypting: {error!r}"
        return Push(path, headers, claims, server_key, message, problem)

    def _verified(self, authorization: str) -> tuple[dict[str, Any], str]:
        """The claims of a `vapid t=<JWT>,k=<key>` header whose signature is right."""
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError(f"scheme {scheme!r}")
        parts = dict(part.strip().split("=", 1) for part in rest.split(","))
        token, key = parts["t"], parts["k"]
        signed, _, signature = token.rpartition(".")
        header = json.loads(unb64url(signed.partition(".")[0]))
        if header.get("alg") != "ES256":
            raise ValueError(f"alg {header.get('alg')!r}")
        raw = unb64url(signature)
        if len(raw) != 64:
            raise ValueError("an ES256 signature is 64 bytes")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        public.verify(
            encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])),
            signed.encode(),
            ec.ECDSA(hashes.SHA256()),
        )
        claims: dict[str, Any] = json.loads(unb64url(signed.partition(".")[2]))
        if claims.get("aud") != self.base_url:
            raise ValueError(f"aud {claims.get('aud')!r} is not {self.base_url}")
        if not int(claims["exp"]) > time.time():
            raise ValueError(f"exp {claims['exp']} is past")
        if not claims.get("sub"):
            raise ValueError("no sub")
        return claims, key

    def wait_for(self, subscription: Subscription, count: int, timeout: float = 20) -> list[Push]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.at(subscription)) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.at(subscription))} of {count} pushes in {timeout} s"
                self._arrived.wait(left)
        return self.at(subscription)


@contextlib.contextmanager
def push_service(folder: Path) -> Iterator[PushService]:
    """The push service over TLS on loopback, its certificate and trust_path in `folder`."""
    certificate = loopback_certificate(folder)
    trusted = folder / "trusted.pem"
    trusted.write_text(Path(certifi.where()).read_text() + certificate.cert_path.read_text())
    service = PushService(trusted)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = service.record(self.path, headers, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with http_server(Handler, certificate.server_context()) as base_url:
        service.base_url = base_url
        yield service
