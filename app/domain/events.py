"""Events: one typed class per event type, one serializer, and the topics each travels on.

Every event carries the envelope (event_id, event_type, task_id, user_id, timestamp,
correlation_id) and then its own fields. On the wire an event is the JSON object
`message(event)` makes; `parse_event` reads one back, or says why it cannot.
"""

import uuid
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationInfo, model_validator

from app.domain.models import Reminder, Task

TASK_EVENTS = "task-events"
REMINDERS = "reminders"
TASK_UPDATES = "task-updates"
TOPICS = (TASK_EVENTS, REMINDERS, TASK_UPDATES)
# Where events are set aside for the app's dead-letter list: by the sidecar, and by a
# processor that has no database of its own.
DEAD_LETTERS = "taskflow-deadletter"

# What every event carries before its own fields.
ENVELOPE = ("event_id", "event_type", "task_id", "user_id", "timestamp", "correlation_id")
_WIRE = "wire"


class EventBase(BaseModel):
    # Fields a newer version adds are ignored by an older consumer, not refused.
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: str = Field(default_factory=lambda: str(uuid.uuid4()), min_length=1)
    task_id: int | None
    # The owner of what the event is about; None only on an operational event (a dead letter
    # on its way to the app's list). Older events carry 1, the single user of their time.
    user_id: int | None
    timestamp: datetime = Field(default_factory=lambda: datetime.now(UTC))
    # The event_id of the event that started the chain (its own when it started one).
    correlation_id: str = ""

    def model_post_init(self, context: Any) -> None:
        if not self.correlation_id:
            object.__setattr__(self, "correlation_id", self.event_id)

    @model_validator(mode="before")
    @classmethod
    def _whole_envelope_on_the_wire(cls, data: Any, info: ValidationInfo) -> Any:
        """A new event gets its id and time here; one that was read must carry them."""
        if info.context == _WIRE and isinstance(data, dict):
            missing = [name for name in ENVELOPE if name not in data]
            if missing:
                raise ValueError(f"no {missing[0]}")
        return data


class TaskCreated(EventBase):
    event_type: Literal["task.created"] = "task.created"
    task_data: Task


class TaskUpdated(EventBase):
    event_type: Literal["task.updated"] = "task.updated"
    task_data: Task
    # The fields that changed, with their new values.
    update_data: dict[str, Any]


class TaskCompleted(EventBase):
    event_type: Literal["task.completed"] = "task.completed"
    task_data: Task
    update_data: dict[str, Any]


class TaskDeleted(EventBase):
    event_type: Literal["task.deleted"] = "task.deleted"
    task_data: Task


class ReminderChange(EventBase):
    reminder_id: int
    scheduled_at: datetime
    reminder_offset: str
    status: str


class ReminderScheduled(ReminderChange):
    event_type: Literal["reminder.scheduled"] = "reminder.scheduled"


class ReminderCancelled(ReminderChange):
    event_type: Literal["reminder.cancelled"] = "reminder.cancelled"


class ReminderTriggered(EventBase):
    event_type: Literal["reminder.triggered"] = "reminder.triggered"
    reminder_id: int
    # The time the job was armed for: a trigger for any other time is stale.
    scheduled_at: datetime
    fired_at: datetime


class ReminderSent(EventBase):
    event_type: Literal["reminder.sent"] = "reminder.sent"
    reminder_id: int
    title: str
    due_date: datetime | None
    # The task's time zone, for showing its due time; absent from events stored before it was
    # carried.
    timezone: str | None = None
    scheduled_at: datetime
    fired_at: datetime
    late: bool


class NotificationOutcome(EventBase):
    """What became of a fired reminder (or, without one, a daily digest) on one of its owner's
    channels."""

    reminder_id: int | None
    channel_id: int
    channel_type: str
    attempts: int


class NotificationDelivered(NotificationOutcome):
    event_type: Literal["notification.delivered"] = "notification.delivered"


class NotificationFailed(NotificationOutcome):
    """Given up after its last attempt; the reminder.sent event waits as a dead letter."""

    event_type: Literal["notification.failed"] = "notification.failed"
    error: str


class DeadLetterForwarded(EventBase):
    """An event a processor without a database rejected, on its way to the app's list."""

    event_type: Literal["dead_letter.forwarded"] = "dead_letter.forwarded"
    topic: str
    payload: dict[str, Any]
    error: str


Event = Annotated[
    TaskCreated
    | TaskUpdated
    | TaskCompleted
    | TaskDeleted
    | ReminderScheduled
    | ReminderCancelled
    | ReminderTriggered
    | ReminderSent
    | NotificationDelivered
    | NotificationFailed
    | DeadLetterForwarded,
    Field(discriminator="event_type"),
]
_EVENT: TypeAdapter[Event] = TypeAdapter(Event)

TOPICS_BY_EVENT_TYPE: dict[str, tuple[str, ...]] = {
    "task.created": (TASK_EVENTS, TASK_UPDATES),
    "task.updated": (TASK_EVENTS, TASK_UPDATES),
    "task.completed": (TASK_EVENTS, TASK_UPDATES),
    "task.deleted": (TASK_EVENTS, TASK_UPDATES),
    "reminder.scheduled": (REMINDERS,),
    "reminder.cancelled": (REMINDERS,),
    "reminder.triggered": (REMINDERS,),
    "reminder.sent": (TASK_UPDATES,),
    "notification.delivered": (TASK_UPDATES,),
    "notification.failed": (TASK_UPDATES,),
    "dead_letter.forwarded": (DEAD_LETTERS,),
}


class RecentEventIds:
    """The latest `keep` event ids added, the oldest forgotten first: how a consumer turns
    away, without asking its store, an event it has just handled (on another topic, or
    delivered again)."""

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        if len(self._ids) > self._keep:
            self._ids.popitem(last=False)


def message(event: Event) -> dict[str, Any]:
    """The event as the JSON object that is stored, published and audited."""
    return event.model_dump(mode="json")


def parse_event(data: Any) -> Event:
    """The event `data` holds; ValueError (naming what is wrong) when it holds none."""
    return _EVENT.validate_python(data, context=_WIRE)


def reminder_change(
    kind: type[ReminderScheduled] | type[ReminderCancelled], reminder: Reminder
) -> ReminderScheduled | ReminderCancelled:
    return kind(
        task_id=reminder.task_id,
        user_id=reminder.owner_id,
        reminder_id=reminder.id,
        scheduled_at=reminder.scheduled_at,
        reminder_offset=reminder.reminder_offset,
        status=reminder.status,
    )
