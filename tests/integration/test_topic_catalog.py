"""Topics are created once, idempotently, with the declared configs; drift that would lose
data (an event topic that deletes or compacts) stops start-up with a clear error."""

from __future__ import annotations

import uuid

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType

from topic_catalog import TopicSpec
from topic_catalog.ensure import TopicDriftError, ensure_topics

pytestmark = pytest.mark.kafka


def test_creation_is_idempotent_and_keeps_data_forever(bootstrap: str) -> None:
    spec = TopicSpec(f"test.catalog.{uuid.uuid4().hex[:8]}", 2, "id", "test")
    assert ensure_topics(bootstrap, topics=(spec,)) == [spec.name]
    assert ensure_topics(bootstrap, topics=(spec,)) == []  # second run: nothing to do, no error
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, spec.name)])["topic"][spec.name]
        assert configs["retention.ms"]["value"] == "-1" and configs["cleanup.policy"]["value"] == "delete"
        assert len(admin.describe_topics([spec.name])[0]["partitions"]) == 2
    finally:
        admin.delete_topics([spec.name])
        admin.close()


def test_a_compacted_event_topic_is_refused(bootstrap: str) -> None:
    name = f"test.catalog.{uuid.uuid4().hex[:8]}"
    compacted = TopicSpec(name, 1, "id", "test", configs={"cleanup.policy": "compact", "retention.ms": "-1"})
    ensure_topics(bootstrap, topics=(compacted,))
    try:
        with pytest.raises(TopicDriftError, match="cleanup.policy"):
            ensure_topics(bootstrap, topics=(TopicSpec(name, 1, "id", "test"),))
    finally:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        admin.delete_topics([name])
        admin.close()
