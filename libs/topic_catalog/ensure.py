"""Create every catalogued topic that does not exist yet; report drift in those that do.

Safe to run at every start-up and from several processes at once.
"""

from __future__ import annotations

import time

import structlog
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from topic_catalog import ALL_TOPICS, TopicSpec

log = structlog.get_logger(__name__)


# The configs whose drift would lose data.
CHECKED = ("cleanup.policy", "retention.ms")


class TopicDriftError(RuntimeError):
    """An existing topic does not match its declaration in a way that breaks guarantees."""


def _admin(bootstrap: str, timeout_s: float) -> KafkaAdminClient:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return KafkaAdminClient(bootstrap_servers=bootstrap, client_id="knooppunt-topics")
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def ensure_topics(
    bootstrap: str,
    replication_factor: int = 1,
    topics: tuple[TopicSpec, ...] = ALL_TOPICS,
    timeout_s: float = 30.0,
) -> list[str]:
    """Create missing topics; return the names created. Raise on dangerous drift."""
    admin = _admin(bootstrap, timeout_s)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topics if t.name not in existing]
        created: list[str] = []
        for spec in missing:
            try:
                admin.create_topics(
                    [NewTopic(spec.name, spec.partitions, replication_factor, topic_configs=spec.configs)]
                )
                created.append(spec.name)
            except TopicAlreadyExistsError:
                # Created by another process between list and create, or listed from metadata
                # that did not show it yet: it exists, with configs someone else chose. Check them.
                existing.add(spec.name)
        _check_drift(admin, [t for t in topics if t.name in existing])
        if created:
            log.info("topics_created", topics=created)
        return created
    finally:
        admin.close()


def _check_drift(admin: KafkaAdminClient, specs: list[TopicSpec]) -> None:
    if not specs:
        return
    # kafka-python 3.0 result shapes: describe_topics -> [{"name", "partitions", ...}],
    # describe_configs -> {"topic": {name: {config: {"value": ...}}}}.
    described = {d["name"]: d for d in admin.describe_topics([s.name for s in specs])}
    configs = _configs(admin, [s.name for s in specs])
    for spec in specs:
        partitions = len(described[spec.name]["partitions"])
        if partitions != spec.partitions:
            # Fewer partitions is harmless for correctness; a different count changes key
            # placement, which an operator must know about, but is not a reason to refuse start-up.
            log.warning("topic_partitions_differ", topic=spec.name, declared=spec.partitions, actual=partitions)
        actual = configs[spec.name]
        for key in CHECKED:
            if actual[key] != spec.configs[key]:
                raise TopicDriftError(
                    f"topic {spec.name}: {key}={actual.get(key)!r}, declared {spec.configs[key]!r}; "
                    "an event topic that deletes or compacts data loses the system of record"
                )


def _configs(admin: KafkaAdminClient, names: list[str], timeout_s: float = 15.0) -> dict[str, dict[str, str]]:
    """The checked configs of every topic named. A topic created a moment ago may not be
    described yet: ask again rather than pass it unchecked; never guess."""
    deadline = time.monotonic() + timeout_s
    while True:
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
        configs = {
            topic: {key: entry["value"] for key, entry in entries.items()}
            for topic, entries in admin.describe_configs(resources).get("topic", {}).items()
        }
        unread = [n for n in names if any(configs.get(n, {}).get(key) is None for key in CHECKED)]
        if not unread:
            return configs
        if time.monotonic() > deadline:
            raise TopicDriftError(f"could not read {', '.join(CHECKED)} of {', '.join(unread)} within {timeout_s:.0f}s; "
                                  "refusing to start on topics whose retention is unknown")
        time.sleep(0.2)


def main() -> None:
    """`python -m topic_catalog.ensure`: one-shot creation (used by docker-compose and make)."""
    import os

    import logsetup

    logsetup.configure("topics", os.environ.get("LOG_LEVEL", "INFO"))
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    rf = int(os.environ.get("KAFKA_REPLICATION_FACTOR", "1"))
    created = ensure_topics(bootstrap, rf)
    print(f"topics ready ({len(ALL_TOPICS)} declared, {len(created)} created)")


if __name__ == "__main__":
    main()
