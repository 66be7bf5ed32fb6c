"""Read a whole topic from offset 0 to the end offsets seen at the start, with record timestamps.

No consumer group, no commits (like the auditor's replay), but keeps what the benchmarks need
and cloudevents_kafka.replay_raw leaves out: the record's CreateTime.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, TopicPartition


async def read_topic(bootstrap: str, topic: str) -> AsyncIterator:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest",
                                max_partition_fetch_bytes=4 << 20)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # noqa: SLF001 (no public call)
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if end[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batch.items():
                for r in records:
                    if r.offset < end[tp]:
                        yield r
                if records and records[-1].offset >= end[tp] - 1:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
