"""Dapr components, subscriptions, resiliency and configuration, and the Kafka they rely on.

Component metadata is checked against components-contrib's own description of each
component (metadata.yaml of the release Dapr pins): every field name exists, required fields
and an authentication profile are complete, values are allowed ones, and every field the
description marks sensitive comes from a secret.
"""

import re

import pytest

from app.routing import APP_IDS, DEAD_LETTER_KEEPER, ROUTES
from tests.deploy.manifests import (
    COMPONENT_SCOPES,
    COMPONENT_TYPES,
    DAPR_APPS,
    DEADLETTER_TOPIC,
    NAMESPACE,
    ROOT,
    TOPICS,
    Obj,
    component_metadata,
    get,
    ident,
    metadata_items,
    name_of,
    of_kind,
)

SECRETISH = re.compile(r"(password|secret|token|key|connectionstring|url|brokers)", re.I)

# Who consumes what: the event table's routes, and the dead-letter topic's keeper.
SUBSCRIBERS: dict[str, set[str]] = {app_id: set() for app_id in APP_IDS.values()}
for route in ROUTES:
    SUBSCRIBERS[APP_IDS[route.role]].add(route.topic)
SUBSCRIBERS[APP_IDS[DEAD_LETTER_KEEPER]].add(DEADLETTER_TOPIC)


def test_components_are_those_of_the_contract(objects: tuple[Obj, ...]) -> None:
    components = {name_of(c): c for c in of_kind(objects, "Component")}
    assert set(components) == set(COMPONENT_TYPES)
    for name, component in components.items():
        assert component["spec"]["type"] == COMPONENT_TYPES[name], name


def test_every_component_is_scoped_to_the_apps_that_use_it(objects: tuple[Obj, ...]) -> None:
    for component in of_kind(objects, "Component"):
        scopes = set(component.get("scopes", []))
        assert scopes, f"{ident(component)} is visible to every app"
        assert scopes <= set(DAPR_APPS), ident(component)
        assert scopes == COMPONENT_SCOPES[name_of(component)], ident(component)


def test_component_metadata_matches_the_component(objects: tuple[Obj, ...]) -> None:
    for component in of_kind(objects, "Component"):
        spec = component["spec"]
        described = component_metadata(spec["type"], spec["version"])
        items = metadata_items(component)
        where = ident(component)
        unknown = set(items) - described.fields
        assert not unknown, f"{where}: fields {spec['type']} does not have: {unknown}"
        assert described.required <= set(items), (
            f"{where}: missing {described.required - set(items)}"
        )
        for name, item in items.items():
            if name in described.allowed_values and "value" in item:
                assert str(item["value"]) in described.allowed_values[name], f"{where}: {name}"
            assert ("value" in item) != ("secretKeyRef" in item), f"{where}: {name}"
            if "value" in item:
                assert isinstance(item["value"], str), f"{where}: {name} must be a string"
        if described.profiles:
            satisfied = [
                required
                for required, values in described.profiles
                if required <= set(items)
                and all(str(items[k].get("value")) in v for k, v in values.items() if k in items)
            ]
            assert satisfied, f"{where}: no authentication profile is complete"


def test_no_credential_in_a_component(objects: tuple[Obj, ...]) -> None:
    for component in of_kind(objects, "Component"):
        spec = component["spec"]
        described = component_metadata(spec["type"], spec["version"])
        uses_secrets = False
        for name, item in metadata_items(component).items():
            if name in described.sensitive or SECRETISH.search(name):
                assert "secretKeyRef" in item, f"{ident(component)}: {name} in plain text"
            if "secretKeyRef" in item:
                uses_secrets = True
                assert item["secretKeyRef"]["name"] == "taskflow-secrets", ident(component)
        if uses_secrets:
            assert component["auth"]["secretStore"] == "kubernetes", ident(component)


def test_pubsub_has_one_consumer_group_per_app(objects: tuple[Obj, ...]) -> None:
    items = metadata_items(get(objects, "Component", "pubsub"))
    assert items["consumerGroup"]["value"] == "{appID}"
    assert items["initialOffset"]["value"] == "oldest"


def test_live_has_one_consumer_group_per_pod(objects: tuple[Obj, ...]) -> None:
    items = metadata_items(get(objects, "Component", "live"))
    assert "{podName}" in items["consumerGroup"]["value"]
    assert items["initialOffset"]["value"] == "newest"


@pytest.mark.parametrize("name", ["pubsub", "live"])
def test_pubsub_reaches_the_brokers_of_the_overlay(
    overlay: str, objects: tuple[Obj, ...], name: str
) -> None:
    items = metadata_items(get(objects, "Component", name))
    value = {k: v.get("value") for k, v in items.items()}
    if overlay == "local":
        assert value["authType"] == "none" and value["disableTls"] == "true"
    else:
        assert value["authType"] == "password"
        assert value["saslMechanism"] in {"SHA-256", "SHA-512"}, "SCRAM"
        assert value["disableTls"] == "false", "TLS to Redpanda Cloud"
        for key in ("saslUsername", "saslPassword"):
            assert items[key]["secretKeyRef"]["name"] == "taskflow-secrets"
    assert items["brokers"]["secretKeyRef"]["key"] == "kafka-brokers"


def test_state_and_bindings_use_the_dapr_connection_string(objects: tuple[Obj, ...]) -> None:
    for name in ("statestore", "taskdb"):
        items = metadata_items(get(objects, "Component", name))
        ref = items["connectionString"]["secretKeyRef"]
        assert (ref["name"], ref["key"]) == ("taskflow-secrets", "pg-connection-string")


def test_subscriptions_follow_the_contract(objects: tuple[Obj, ...]) -> None:
    pubsubs = {
        name_of(c): set(c["scopes"])
        for c in of_kind(objects, "Component")
        if c["spec"]["type"].startswith("pubsub.")
    }
    seen: dict[str, set[str]] = {app: set() for app in DAPR_APPS}
    for sub in of_kind(objects, "Subscription"):
        spec = sub["spec"]
        where = ident(sub)
        assert sub["apiVersion"] == "dapr.io/v2alpha1", where
        assert spec["pubsubname"] in pubsubs, f"{where}: no such pub/sub component"
        assert spec["topic"] in (*TOPICS, DEADLETTER_TOPIC), where
        bulk = spec.get("bulkSubscribe", {}).get("enabled", False)
        path = f"/events/{spec['topic']}" + ("/bulk" if bulk else "")
        assert spec["routes"]["default"] == path, where
        # The dead-letter subscription itself retries instead of dead-lettering.
        expected = None if spec["topic"] == DEADLETTER_TOPIC else DEADLETTER_TOPIC
        assert spec.get("deadLetterTopic") == expected, where
        scopes = set(sub.get("scopes", []))
        assert scopes and scopes <= pubsubs[spec["pubsubname"]], f"{where}: scope it"
        for app in scopes:
            assert spec["topic"] not in seen[app], f"{where}: {app} subscribes twice"
            seen[app].add(spec["topic"])
    assert seen == SUBSCRIBERS


def test_every_subscribed_topic_exists(overlay: str, objects: tuple[Obj, ...]) -> None:
    wanted = {s["spec"]["topic"] for s in of_kind(objects, "Subscription")}
    wanted |= {
        s["spec"]["deadLetterTopic"]
        for s in of_kind(objects, "Subscription")
        if "deadLetterTopic" in s["spec"]
    }
    if overlay == "local":
        topics = {t["spec"].get("topicName", name_of(t)): t for t in of_kind(objects, "KafkaTopic")}
        assert wanted <= set(topics), f"no KafkaTopic for {wanted - set(topics)}"
        kafka = {name_of(k) for k in of_kind(objects, "Kafka")}
        for name in TOPICS:
            assert topics[name]["spec"]["partitions"] == 3, name
        for topic in topics.values():
            assert topic["metadata"]["labels"]["strimzi.io/cluster"] in kafka, ident(topic)
    else:
        # Redpanda Cloud: the topics are created with rpk (docs/deploy.md).
        docs = (ROOT / "docs" / "deploy.md").read_text()
        created = {
            topic
            for line in re.findall(r"^\s*rpk topic create (.+)$", docs, re.M)
            for topic in line.split()
            if not topic.startswith("-") and not topic.isdigit()
        }
        assert wanted <= created, f"docs/deploy.md creates no {wanted - created}"
        for line in re.findall(r"^\s*rpk topic create (.+)$", docs, re.M):
            if set(line.split()) & set(TOPICS):
                assert "-p 3" in line or "--partitions 3" in line, line


def test_local_kafka_is_one_kraft_node(overlay: str, objects: tuple[Obj, ...]) -> None:
    if overlay != "local":
        return
    kafka = get(objects, "Kafka", "taskflow-kafka")
    pools = of_kind(objects, "KafkaNodePool")
    assert len(pools) == 1
    pool = pools[0]
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == name_of(kafka)
    assert pool["spec"]["replicas"] == 1
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}, "KRaft, combined node"
    assert pool["spec"]["storage"]["type"] == "ephemeral"
    assert "zookeeper" not in kafka["spec"]
    config = kafka["spec"]["kafka"]["config"]
    for key in ("offsets.topic.replication.factor", "default.replication.factor"):
        assert int(config[key]) == 1, key
    listeners = {lst["name"]: lst for lst in kafka["spec"]["kafka"]["listeners"]}
    assert listeners["plain"]["port"] == 9092 and listeners["plain"]["tls"] is False
    assert "topicOperator" in kafka["spec"]["entityOperator"], "KafkaTopics need it"


def test_resiliency_targets_exist(objects: tuple[Obj, ...]) -> None:
    for resiliency in of_kind(objects, "Resiliency"):
        assert set(resiliency["scopes"]) == set(DAPR_APPS)
        policies = resiliency["spec"]["policies"]
        named = {
            "timeout": set(policies.get("timeouts", {})),
            "retry": set(policies.get("retries", {})),
            "circuitBreaker": set(policies.get("circuitBreakers", {})),
        }
        targets = resiliency["spec"]["targets"]
        components = {name_of(c) for c in of_kind(objects, "Component")}
        assert set(targets.get("components", {})) <= components
        assert set(targets.get("apps", {})) <= set(DAPR_APPS)
        uses = [*targets.get("apps", {}).values()]
        for target in targets.get("components", {}).values():
            uses += [target.get("inbound", {}), target.get("outbound", {})]
        for use in uses:
            for kind, policy in use.items():
                assert policy in named[kind], f"{kind} policy {policy} is not defined"
        inbound = targets["components"]["pubsub"]["inbound"]["retry"]
        # Unbounded: a failure is waited out; a malformed event is set aside by the subscriber.
    assert policies["retries"][inbound]["maxRetries"] == -1


def test_configuration_traces_and_relies_on_mtls(objects: tuple[Obj, ...]) -> None:
    config = get(objects, "Configuration", "taskflow-config")["spec"]
    assert float(config["tracing"]["samplingRate"]) > 0
    assert config["mtls"]["enabled"] is True
    access = config["accessControl"]
    assert access["defaultAction"] == "deny"
    for policy in access["policies"]:
        assert policy["appId"] in DAPR_APPS
        assert policy["namespace"] == NAMESPACE, "policies name the namespace we deploy to"
    stores = {name_of(c) for c in of_kind(objects, "Component")} | {"kubernetes"}
    for scope in config["secrets"]["scopes"]:
        assert scope["storeName"] in stores
        assert scope["defaultAccess"] == "deny"
