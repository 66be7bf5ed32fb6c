"""Publishing with our own partitioner on the real broker: every event lands in the partition
Kafka's default partitioner gives its key, in the order given per key, at the offset that
publish_many reports, also when a round is larger than one producer batch; and a key's
tombstone (erasure, sent the ordinary way) lands in the same partition as the key."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from cloudevents_kafka import header
from cloudevents_kafka.kafka import MAX_BATCH_BYTES, EventPublisher, Outgoing, replay_raw
from crypto_shredding.kafka_store import KafkaKeyStore
from knooppunt.intake.v1 import events_pb2
from tests.conftest import dev_setting
from topic_catalog import SUBJECT_KEYS

pytestmark = pytest.mark.kafka
TOPIC = "test.publish-batched"  # six partitions, like signals.received; read by no service


async def _topic(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(TOPIC, 6, 1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()


async def test_a_round_lands_where_the_default_partitioner_puts_it(bootstrap: str) -> None:
    await _topic(bootstrap)
    run = uuid.uuid4().hex[:8]
    keys = [f"{run}-{i % 40}" for i in range(1200)]  # 40 keys, 30 events each, ~1.3 MB: several batches
    events = [Outgoing(TOPIC, key=k, event_id=f"{run}-{i}",
                       message=events_pb2.SignalReceived(signal_id=k, source_reference=str(i), description="x" * 1000))
              for i, k in enumerate(keys)]
    assert sum(len(e.message.SerializeToString()) for e in events) > 2 * MAX_BATCH_BYTES
    publisher = EventPublisher(bootstrap, source="/test/batched")
    await publisher.start()
    plain = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await plain.start()
    try:
        published = await publisher.publish_many(events)
        # The partition the producer's own partitioner chooses for the same key.
        expected = {k: (await plain.send_and_wait(TOPIC, b"probe", key=k.encode())).partition
                    for k in sorted(set(keys))}
    finally:
        await publisher.stop()
        await plain.stop()
    assert [p.event_id for p in published] == [e.event_id for e in events]
    for p, key in zip(published, keys, strict=True):
        assert p.partition == expected[key]
    stored = {}
    async for r in replay_raw(bootstrap, [TOPIC]):
        if r.value != b"probe" and (r.key or b"").decode().startswith(f"{run}-"):
            stored[(r.partition, r.offset)] = header(r.headers, "ce_id")
    assert {(p.partition, p.offset): p.event_id for p in published} == stored
    for key in set(keys):  # per key in the order given
        offsets = [p.offset for p, k in zip(published, keys, strict=True) if k == key]
        assert offsets == sorted(offsets)


async def test_a_keys_tombstone_lands_with_the_key(bootstrap: str) -> None:
    store = KafkaKeyStore(bootstrap, SUBJECT_KEYS.name, bytes.fromhex(dev_setting("MASTER_KEY")))
    await store.start(fold=False)
    key_ids = [f"signal:{uuid.uuid4()}" for _ in range(50)]
    try:
        await store.ensure_keys(key_ids)
        for key_id in key_ids[:5]:
            assert await store.erase(key_id)
    finally:
        await store.stop()
    partitions: dict[str, set[int]] = {}
    async for r in replay_raw(bootstrap, [SUBJECT_KEYS.name]):
        if r.key is not None and r.key.decode() in key_ids:
            partitions.setdefault(r.key.decode(), set()).add(r.partition)
    assert set(partitions) == set(key_ids)
    assert all(len(p) == 1 for p in partitions.values())
