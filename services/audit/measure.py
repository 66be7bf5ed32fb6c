"""Measure replay+verify rate against the raw consume rate of the same topic, in one run.

`python -m services.audit.measure --entries 10000`: writes a chained log of N entries to a
fresh topic (the way the writer builds them), then times (1) a plain aiokafka read of every
record without parsing, and (2) the auditor's replay + verify (chain, Merkle tree). Prints
both rates and their ratio. Not a benchmark suite (that lives in bench/, later).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from knooppunt.audit.v1.events_pb2 import AuditEntry
from services.audit.adapters.kafka import read_stored
from services.audit.domain.chain import GENESIS, chain_next, verify
from topic_catalog import TopicSpec
from topic_catalog.ensure import ensure_topics


async def _fill(bootstrap: str, topic: str, n: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    head = GENESIS
    try:
        futures = []
        for i in range(n):
            e = AuditEntry(sequence=i, entry_id=str(uuid.uuid4()), source_event_id=str(uuid.uuid4()),
                           summary=f"Referral issued to politie (categories: signal.themes) #{i}",
                           previous_chain_hash=head.hex(), signal_id=str(uuid.uuid4()))
            e.sharing.recipients.append("politie")
            e.sharing.legal_basis = "WGS art. 2.3"
            e.subjects.add(kind=3, key="person:" + os.urandom(32).hex())
            v = e.SerializeToString(deterministic=True)
            head = chain_next(head, v)
            futures.append(await producer.send(topic, value=v, key=e.entry_id.encode()))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _raw(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        n = 0
        while await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=1000)
            n += sum(len(v) for v in batch.values())
        return n
    finally:
        await consumer.stop()


async def _replay_verify(bootstrap: str, topic: str) -> int:
    values = [v async for v in read_stored(bootstrap, topic)]
    result = verify(values)
    assert result.ok, result.detail
    return result.entries_checked


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    p.add_argument("--entries", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    topic = f"measure.audit.{uuid.uuid4().hex[:8]}"
    ensure_topics(args.bootstrap_servers, 1, (TopicSpec(topic, 1, "entry_id", "measurement"),))
    asyncio.run(_fill(args.bootstrap_servers, topic, args.entries))
    for r in range(args.rounds):
        t = time.perf_counter()
        n_raw = asyncio.run(_raw(args.bootstrap_servers, topic))
        raw_s = time.perf_counter() - t
        t = time.perf_counter()
        n_ver = asyncio.run(_replay_verify(args.bootstrap_servers, topic))
        ver_s = time.perf_counter() - t
        print(f"round {r}: raw consume {n_raw / raw_s:,.0f} records/s ({n_raw} in {raw_s:.2f} s); "
              f"replay+verify {n_ver / ver_s:,.0f} entries/s ({n_ver} in {ver_s:.2f} s); "
              f"ratio {(n_ver / ver_s) / (n_raw / raw_s):.2f}")
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap_servers)
    try:
        admin.delete_topics([topic])
    finally:
        admin.close()


if __name__ == "__main__":
    main()
