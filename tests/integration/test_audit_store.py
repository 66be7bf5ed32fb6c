"""The Kafka EntryStore held to the same contract as the in-memory fake, on a throw-away topic
(never on `audit.log`: contract entries there would break the real chain)."""

from __future__ import annotations

import os
import uuid

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from cloudevents_kafka.kafka import EventPublisher
from services.audit.adapters.kafka import KafkaEntryStore
from tests.unit.audit.store_contract import EntryStoreContract

pytestmark = pytest.mark.kafka
BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")


class TestKafkaEntryStore(EntryStoreContract):
    @pytest.fixture(autouse=True)
    async def _cleanup(self):
        self._topics: list[str] = []
        self._publishers: list[EventPublisher] = []
        yield
        for p in self._publishers:
            await p.stop()
        admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
        try:
            admin.delete_topics(self._topics)
        finally:
            admin.close()

    async def make_store(self):  # noqa: ANN201
        topic = f"test.audit.contract.{uuid.uuid4().hex[:12]}"
        admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
        try:
            admin.create_topics([NewTopic(topic, 1, 1)])
        finally:
            admin.close()
        self._topics.append(topic)
        publisher = EventPublisher(BOOTSTRAP, source="/tests/audit-contract")
        await publisher.start()
        self._publishers.append(publisher)
        return KafkaEntryStore(publisher, BOOTSTRAP, topic)
