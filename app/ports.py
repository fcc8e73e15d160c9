"""What the services need from the outside world; adapters implement these."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.sql import Executable

from app.domain.channels import Channel
from app.domain.notifications import Notification

Row = Sequence[Any]
# What "now" is; tests pass their own.
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


# An event as it travels and is stored: the JSON object of app.domain.events.message.
Message = dict[str, Any]
# What a bus calls with each message of a topic it was subscribed to.
MessageHandler = Callable[[str, Message], Awaitable[None]]
# A due job: its name and the due time it was armed for (a re-armed job brings its new time).
JobHandler = Callable[[str, datetime], Awaitable[None]]


class Sql(Protocol):
    """SQL written once with SQLAlchemy Core; each adapter compiles it for its database."""

    async def fetch(self, statement: Executable) -> list[Row]:
        """Run one read (a SELECT) and return its rows. Writes go through `write`."""
        ...

    async def write(self, guard: Executable, follow_ups: Sequence[Executable] = ()) -> list[Row]:
        """Run the write `guard` and, only if it returned rows (its RETURNING clause),
        `follow_ups`, all or nothing. Returns the guard's rows: none without RETURNING."""
        ...

    async def ping(self) -> None: ...


class EventBus(Protocol):
    async def publish(self, topic: str, message: Message, key: str | None = None) -> None:
        """Return only once the bus has accepted the message; raise otherwise. Messages with
        the same `key` (a task id) reach each consumer in the order they were published."""
        ...

    async def publish_all(
        self, topic: str, messages: Sequence[tuple[Message, str | None]]
    ) -> list[str | None]:
        """Publish `messages` (each with its key, no key twice) in one go: for each, None
        once the bus has accepted it, else why it did not. Raise when it took none."""
        ...


class Jobs(Protocol):
    """One-shot timers that call back by name with the due time they were armed for."""

    async def schedule(self, name: str, due_time: datetime) -> None:
        """Arm `name` for `due_time`, replacing whatever it was armed for; a time already
        past fires at once."""
        ...

    async def cancel(self, name: str) -> None: ...

    async def armed_for(self, name: str) -> datetime | None:
        """The due time `name` is armed for, or None when no such job is waiting."""
        ...


class KeyValue(Protocol):
    async def get(self, key: str) -> tuple[Any, str | None]:
        """The value and its etag, or (None, None) when absent."""
        ...

    async def save(self, key: str, value: Any, etag: str | None) -> str:
        """Store when `etag` still matches (None: key must be new); return the new etag.
        Raise ConcurrencyError otherwise."""
        ...


class ConcurrencyError(Exception):
    """Someone else changed the value since it was read."""


class StoreUnavailable(Exception):
    """The database could not be reached, or did not finish the statement: try again later."""


class BusUnavailable(Exception):
    """The broker did not take the message: try again later."""


class Secrets(Protocol):
    async def get(self, name: str) -> str | None: ...


class Invoker(Protocol):
    """Calls into the app from a processor (Dapr service invocation, or a direct call)."""

    async def create_successor(
        self, owner: int, parent_id: int, due_date: datetime, rule: str
    ) -> None: ...


class DeliveryFailed(Exception):
    """A channel's server refused a notification, or could not be reached; the message says
    which and why."""


class SubscriptionGone(DeliveryFailed):
    """The push service says the browser's subscription no longer exists (404, 410): the
    channel can never be sent to again."""


class ServerKeys(Protocol):
    """The server's VAPID key pair (RFC 8292), which signs every Web Push."""

    async def private_key(self) -> str:
        """The private key: its 32-byte scalar, base64url."""
        ...


class TargetGuard(Protocol):
    """Which webhook URLs this server may post to."""

    async def check(self, url: str) -> None:
        """Raise ValueError, saying why, when `url` leads where this server must not post."""
        ...


class Sender(Protocol):
    """Sends notifications on the channels of one type (mail, webhooks)."""

    async def send(self, channel: Channel, notification: Notification) -> None:
        """Return once the channel's server accepted it; raise DeliveryFailed otherwise."""
        ...


# How long the OpenID provider may keep the person at its pages before the sign-in must start
# again.
PENDING_FOR = timedelta(minutes=10)


@dataclass(frozen=True)
class Identity:
    """Who the OpenID provider says signed in."""

    issuer: str
    subject: str
    username: str
    display_name: str


@dataclass(frozen=True)
class SignInStart:
    """Where to send the browser, and what it keeps until it comes back (sealed)."""

    authorization_url: str
    pending: str


class SignInRefused(Exception):
    """This sign-in cannot finish: it is not the one this browser started, has expired, the
    provider refused it or sent a code or ID token that does not hold."""


class ProviderUnavailable(Exception):
    """The provider cannot be reached, or answers what no OpenID provider would."""


class SingleSignOn(Protocol):
    """Sign-in at the configured OpenID provider (authorization code flow)."""

    async def begin(self, redirect_uri: str) -> SignInStart:
        """A new sign-in that comes back to `redirect_uri`."""
        ...

    async def finish(self, pending: str | None, response: Mapping[str, str]) -> Identity:
        """The identity the provider's answer `response` vouches for, checked against the
        sign-in this browser began (`pending`, as `begin` sealed it)."""
        ...
