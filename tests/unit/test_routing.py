"""The event table: what each handler receives, and the Dapr subscriptions made from it."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from app.bootstrap import bootstrap
from app.config import Settings
from app.domain.events import (
    DEAD_LETTERS,
    REMINDERS,
    TASK_EVENTS,
    TASK_UPDATES,
    TOPICS_BY_EVENT_TYPE,
    Event,
    message,
    parse_event,
)
from app.routing import (
    APP_IDS,
    BULK_AWAIT_MS,
    BULK_MESSAGES,
    DEAD_LETTER_KEEPER,
    EACH_REPLICA_PUBSUB,
    ROUTES,
    SHARED_PUBSUB,
    Handler,
    routes_of,
)
from app.services.dispatch import Dispatcher, EventHandler
from tests.support.events import a_message, an_event

ROOT = Path(__file__).resolve().parents[2]
COMPONENT_SETS = [ROOT / "dapr-components" / mode for mode in ("self-hosted", "kubernetes")]
SUBSCRIPTION_FILES = [components / "subscriptions.yaml" for components in COMPONENT_SETS]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Handler, str, str]] = []
        self.set_aside: list[tuple[str, str]] = []

    def handler(self, name: Handler) -> EventHandler:
        async def handle(topic: str, event: Event) -> None:
            self.calls.append((name, topic, event.event_type))

        return handle

    async def record(self, topic: str, payload: dict[str, Any], error: str) -> None:
        self.set_aside.append((topic, error))


def dispatcher(recorder: Recorder, role: Any = None) -> Dispatcher:
    handlers = {name: recorder.handler(name) for name in Handler}
    return Dispatcher(routes_of(role), handlers, recorder)


@pytest.mark.parametrize(
    ("topic", "event_type", "handlers"),
    [
        (TASK_EVENTS, "task.completed", {Handler.NEXT_OCCURRENCE, Handler.AUDIT}),
        (TASK_EVENTS, "task.created", {Handler.AUDIT}),
        (TASK_UPDATES, "task.created", {Handler.LIVE_FEED, Handler.AUDIT}),
        (REMINDERS, "reminder.scheduled", {Handler.KEEP_JOBS, Handler.AUDIT}),
        (REMINDERS, "reminder.triggered", {Handler.MARK_SENT, Handler.AUDIT}),
        (TASK_UPDATES, "reminder.sent", {Handler.LIVE_FEED, Handler.NOTIFY, Handler.AUDIT}),
        (TASK_UPDATES, "notification.failed", {Handler.LIVE_FEED, Handler.AUDIT}),
    ],
)
async def test_each_event_reaches_the_handlers_the_table_names(
    topic: str, event_type: str, handlers: set[Handler]
) -> None:
    recorder = Recorder()
    await dispatcher(recorder).deliver(topic, a_message(event_type))
    assert {name for name, _, _ in recorder.calls} == handlers
    assert recorder.set_aside == []


async def test_a_process_of_dapr_mode_receives_only_its_own_routes() -> None:
    recorder = Recorder()
    recurrence = dispatcher(recorder, "recurrence")
    assert recurrence.topics == [TASK_EVENTS]
    await recurrence.deliver(TASK_EVENTS, a_message("task.completed"))
    await recurrence.deliver(TASK_EVENTS, a_message("task.updated"))
    assert recorder.calls == [(Handler.NEXT_OCCURRENCE, TASK_EVENTS, "task.completed")]
    assert dispatcher(recorder, "audit").topics == [TASK_EVENTS, REMINDERS, TASK_UPDATES]
    notifier = dispatcher(recorder, "notifier")
    assert notifier.topics == [TASK_UPDATES]
    await notifier.deliver(TASK_UPDATES, a_message("task.created"))
    await notifier.deliver(TASK_UPDATES, a_message("reminder.sent"))
    assert recorder.calls[1:] == [(Handler.NOTIFY, TASK_UPDATES, "reminder.sent")]


def test_every_event_type_reads_back_as_it_was_written() -> None:
    for event_type in TOPICS_BY_EVENT_TYPE:
        event = an_event(event_type)
        assert parse_event(message(event)) == event


def _without(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in data.items() if name not in names}


COMPLETED = a_message("task.completed")
SCHEDULED = a_message("reminder.scheduled")


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ("text", "the message"),
        ({"event_type": "task.created"}, "task.created"),
        (_without(COMPLETED, "timestamp"), "task.completed"),
        (_without(COMPLETED, "event_type"), "the message"),
        ({**COMPLETED, "event_type": "task.renamed"}, "the message"),
        (_without(COMPLETED, "task_data"), "task.completed.task_data"),
        ({**COMPLETED, "task_data": "text"}, "task.completed.task_data"),
        ({**COMPLETED, "task_data": {"recurrence": "daily"}}, "task.completed.task_data.id"),
        (
            {**COMPLETED, "task_data": {**COMPLETED["task_data"], "due_date": "not a date"}},
            "task.completed.task_data.due_date",
        ),
        (_without(SCHEDULED, "reminder_id"), "reminder.scheduled.reminder_id"),
        ({**SCHEDULED, "reminder_id": "x"}, "reminder.scheduled.reminder_id"),
        (_without(SCHEDULED, "scheduled_at"), "reminder.scheduled.scheduled_at"),
    ],
)
async def test_what_is_not_an_event_is_set_aside_naming_what_is_wrong(
    data: Any, where: str
) -> None:
    recorder = Recorder()
    await dispatcher(recorder).deliver(TASK_EVENTS if "task" in str(data) else REMINDERS, data)
    assert recorder.calls == []
    [(_, error)] = recorder.set_aside
    assert error.startswith(f"not a TaskFlow event: {where}: "), error


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_both_subscription_sets_are_the_ones_the_table_makes() -> None:
    expected = [
        {
            "apiVersion": "dapr.io/v2alpha1",
            "kind": "Subscription",
            "metadata": {"name": f"{APP_IDS[route.role]}-{route.topic}"},
            "spec": {
                "pubsubname": route.pubsub,
                "topic": route.topic,
                "routes": {"default": route.path},
                **(
                    {
                        "bulkSubscribe": {
                            "enabled": True,
                            "maxMessagesCount": BULK_MESSAGES,
                            "maxAwaitDurationMs": BULK_AWAIT_MS,
                        }
                    }
                    if route.bulk
                    else {}
                ),
                "deadLetterTopic": DEAD_LETTERS,
            },
            "scopes": [APP_IDS[route.role]],
        }
        for route in ROUTES
    ]
    keeper = APP_IDS[DEAD_LETTER_KEEPER]
    expected.append(
        {
            "apiVersion": "dapr.io/v2alpha1",
            "kind": "Subscription",
            "metadata": {"name": DEAD_LETTERS},
            "spec": {
                "pubsubname": SHARED_PUBSUB,
                "topic": DEAD_LETTERS,
                "routes": {"default": f"/events/{DEAD_LETTERS}"},
            },
            "scopes": [keeper],
        }
    )
    key = "{0[metadata][name]}".format
    for path in SUBSCRIPTION_FILES:
        assert sorted(_documents(path), key=key) == sorted(expected, key=key), path


def test_only_the_live_feed_runs_in_every_replica() -> None:
    """Every other handler acts once per event however many replicas run (a reminder is
    marked sent once); the live feed is for the tabs each replica serves."""
    assert {route.handler for route in ROUTES if route.every_replica} == {Handler.LIVE_FEED}


def _kafka_components(components: Path) -> dict[str, dict[str, Any]]:
    found = [doc for path in sorted(components.glob("*.yaml")) for doc in _documents(path)]
    return {
        doc["metadata"]["name"]: doc
        for doc in found
        if doc["kind"] == "Component" and doc["spec"]["type"] == "pubsub.kafka"
    }


@pytest.mark.parametrize("components", COMPONENT_SETS, ids=lambda path: path.name)
def test_the_kafka_components_give_each_replica_its_group_where_the_table_says(
    components: Path,
) -> None:
    kafka = _kafka_components(components)
    assert set(kafka) == {SHARED_PUBSUB, EACH_REPLICA_PUBSUB}
    settings = {
        name: {item["name"]: item for item in component["spec"]["metadata"]}
        for name, component in kafka.items()
    }
    # One consumer group per process (its app id), shared by its replicas...
    assert settings[SHARED_PUBSUB]["consumerGroup"]["value"] == "{appID}"
    # ... or one per replica (its pod name, which Dapr takes from the sidecar's POD_NAME).
    assert "{podName}" in settings[EACH_REPLICA_PUBSUB]["consumerGroup"]["value"]
    # The same brokers.
    assert (
        settings[SHARED_PUBSUB]["brokers"]["secretKeyRef"]
        == settings[EACH_REPLICA_PUBSUB]["brokers"]["secretKeyRef"]
    )
    # Each replica's component is for the processes that subscribe through it.
    subscribers = {APP_IDS[route.role] for route in ROUTES if route.every_replica}
    assert set(kafka[EACH_REPLICA_PUBSUB]["scopes"]) == subscribers


@pytest.mark.parametrize(("role", "sends"), [("notifier", True), ("app", False), ("audit", False)])
def test_in_dapr_mode_only_the_notifier_process_sends_notifications(role: Any, sends: bool) -> None:
    settings = Settings(runtime="dapr", database_url="", timezone="UTC", app_api_token="t")
    runtime = bootstrap(settings, role)
    assert (runtime.courier is not None) == sends
    if sends:
        assert runtime.dispatcher.topics == [TASK_UPDATES]


def test_in_embedded_mode_the_app_sends_notifications(tmp_path: Path) -> None:
    settings = Settings(
        runtime="local", database_url=f"sqlite:///{tmp_path / 'db'}", timezone="UTC"
    )
    assert bootstrap(settings).courier is not None
