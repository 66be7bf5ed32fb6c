"""The audit log on Kafka: write one entry with acks=all; read every stored value from offset 0.

Reading uses no consumer group and commits nothing, so the auditor CLI needs only read access.
This module must never hash or re-order anything: it hands over the stored bytes as they are.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from cloudevents_kafka import new_traceparent
from cloudevents_kafka.kafka import EventPublisher, replay_raw
from knooppunt.audit.v1.events_pb2 import AuditEntry
from services.audit.topics import AUDIT_LOG


class KafkaEntryStore:
    def __init__(self, publisher: EventPublisher, bootstrap: str, topic: str = AUDIT_LOG.name) -> None:
        self._publisher = publisher
        self._bootstrap = bootstrap
        self._topic = topic

    async def write(self, entry: AuditEntry) -> tuple[int, bytes]:
        published = await self._publisher.publish(
            self._topic,
            key=entry.entry_id,
            message=entry,
            subject=entry.signal_id or entry.entry_id,
            # Deterministic (derived from the source event id), like the entry id itself.
            event_id=entry.entry_id,
            traceparent=new_traceparent(entry.traceparent or None),
        )
        # cloudevents_kafka.encode serialises deterministically, exactly like this.
        return published.offset, entry.SerializeToString(deterministic=True)

    async def read_all(self) -> AsyncIterator[bytes | None]:
        async for record in read_stored(self._bootstrap, self._topic):
            yield record


async def read_stored(bootstrap: str, topic: str = AUDIT_LOG.name) -> AsyncIterator[bytes | None]:
    """Every stored value of the audit topic in log order (one partition: one order)."""
    async for record in replay_raw(bootstrap, [topic]):
        yield record.value


async def stored_count(bootstrap: str, topic: str = AUDIT_LOG.name) -> int:
    """How many records the (one-partition) topic holds from its start: the progress total."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        begin = (await consumer.beginning_offsets([tp]))[tp]
        end = (await consumer.end_offsets([tp]))[tp]
        return end - begin
    finally:
        await consumer.stop()
