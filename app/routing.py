"""The event table: which handler takes which events from which topic, in which process.

The in-process bus (embedded mode), each process's Dapr deliveries and the declarative
subscriptions under dapr-components/ all come from ROUTES (a test holds the YAML to it).
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from app.domain.events import REMINDERS, TASK_EVENTS, TASK_UPDATES, TOPICS, TOPICS_BY_EVENT_TYPE

# The processes of Dapr mode; in embedded mode the app runs every route itself.
Role = Literal["app", "recurrence", "reminders", "audit", "notifier"]
ROLES: tuple[Role, ...] = ("app", "recurrence", "reminders", "audit", "notifier")
# Each process's Dapr app id.
APP_IDS: dict[Role, str] = {
    "app": "taskflow",
    "recurrence": "recurrence",
    "reminders": "reminders",
    "audit": "audit",
    "notifier": "notifier",
}
# The two Dapr pub/sub components, on the same Kafka (dapr-components/). Kafka hands each event
# to one member of a consumer group: on SHARED_PUBSUB the group is the app id, so the
# replicas of a process share its events and act on each once; on EACH_REPLICA_PUBSUB every
# replica is a group of its own (its pod name), so each of them receives every event.
SHARED_PUBSUB = "pubsub"
EACH_REPLICA_PUBSUB = "live"


class Handler(StrEnum):
    NEXT_OCCURRENCE = "next occurrence of a completed recurring task"
    KEEP_JOBS = "one scheduler job per pending reminder"
    MARK_SENT = "a triggered reminder marked sent, once"
    LIVE_FEED = "the open browser tabs"
    AUDIT = "the audit trail"
    NOTIFY = "a fired reminder sent to its owner's channels, once each"


def carried_by(topic: str) -> frozenset[str]:
    return frozenset(kind for kind, topics in TOPICS_BY_EVENT_TYPE.items() if topic in topics)


@dataclass(frozen=True)
class Route:
    role: Role
    topic: str
    handler: Handler
    event_types: frozenset[str]
    # Every replica of the process receives each event, rather than one of them.
    every_replica: bool = False
    # The sidecar hands the process up to BULK_MESSAGES events at once (Dapr's bulk
    # subscribe), handled side by side: only for a handler whose events need no order.
    bulk: bool = False

    @property
    def pubsub(self) -> str:
        """The Dapr pub/sub component the process subscribes through."""
        return EACH_REPLICA_PUBSUB if self.every_replica else SHARED_PUBSUB

    @property
    def path(self) -> str:
        """Where the sidecar delivers the route's events on the process."""
        return f"/events/{self.topic}/bulk" if self.bulk else f"/events/{self.topic}"


ROUTES: tuple[Route, ...] = (
    Route("recurrence", TASK_EVENTS, Handler.NEXT_OCCURRENCE, frozenset({"task.completed"})),
    Route(
        "reminders",
        REMINDERS,
        Handler.KEEP_JOBS,
        frozenset({"reminder.scheduled", "reminder.cancelled"}),
    ),
    Route("app", REMINDERS, Handler.MARK_SENT, frozenset({"reminder.triggered"})),
    # Each replica serves its own browser tabs.
    Route("app", TASK_UPDATES, Handler.LIVE_FEED, carried_by(TASK_UPDATES), every_replica=True),
    # A minute's reminders (a thousand, say) keep up only when a batch of them is stored at
    # once (Courier.enqueue).
    Route("notifier", TASK_UPDATES, Handler.NOTIFY, frozenset({"reminder.sent"}), bulk=True),
    # One row per event_id, whatever the order: a batch costs the audit processor one
    # delivery instead of one for every event, which took a third of its time.
    *(Route("audit", topic, Handler.AUDIT, carried_by(topic), bulk=True) for topic in TOPICS),
)


# A bulk subscription's batch: at most this many events, or what came within this many ms.
BULK_MESSAGES = 100
BULK_AWAIT_MS = 100

# The process that keeps the dead-letter topic's events in its dead-letter list.
DEAD_LETTER_KEEPER: Role = "app"


def routes_of(role: Role | None) -> tuple[Route, ...]:
    """The routes one process serves; None: all of them (embedded mode, one process)."""
    return tuple(route for route in ROUTES if role is None or route.role == role)
