"""Baselines measured in the same run as the system, with the same 1 KiB records.

B_kafka: Kafka's ProducerPerformance (acks=all). B_relay: a bare aiokafka consume -> produce
relay. B_rpc: a bare grpc.aio echo in another process over a real socket, unary and client
streaming. B_hash: SHA-256 chaining over the audit log's stored records.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import re
import subprocess
import time

import grpc
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from bench.harness.broker import Broker
from bench.harness.ports import free_port

RECORD = b"k" * 1024


def _topics(bootstrap: str, names: list[str], partitions: int = 6) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        existing = set(admin.list_topics())
        missing = [NewTopic(n, partitions, 1) for n in names if n not in existing]
        if missing:
            admin.create_topics(missing)
    finally:
        admin.close()


def b_kafka(broker: Broker, records: int) -> dict:
    _topics(broker.bootstrap, ["bench.kafka"])
    out = subprocess.run(
        ["java", "-Xmx512m", "-cp", broker.classpath(), "org.apache.kafka.tools.ProducerPerformance",
         "--topic", "bench.kafka", "--num-records", str(records), "--record-size", "1024", "--throughput", "-1",
         "--producer-props", f"bootstrap.servers={broker.bootstrap}", "acks=all"],
        capture_output=True, text=True, check=True)
    last = [line for line in out.stdout.splitlines() if "records sent" in line][-1]
    rate = float(re.search(r"([\d.]+) records/sec", last).group(1))
    return {"records_per_s": rate, "raw": last}


async def b_relay(bootstrap: str, records: int) -> dict:
    _topics(bootstrap, ["bench.relay.in", "bench.relay.out"])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=2)
    await producer.start()
    try:
        await asyncio.gather(*[await producer.send("bench.relay.in", RECORD, key=str(i).encode()) for i in range(records)])
        # Assigned partitions, no group: the relay measures consume -> produce, not group joins.
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
        await consumer.start()
        partitions = [TopicPartition("bench.relay.in", p) for p in range(6)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        done, t0, cpu0 = 0, None, None
        try:
            while done < records:
                batch = await consumer.getmany(timeout_ms=1000)
                t0 = t0 or time.monotonic()
                cpu0 = cpu0 or time.process_time()
                futures = [await producer.send("bench.relay.out", r.value, key=r.key) for rs in batch.values() for r in rs]
                await asyncio.gather(*futures)
                done += len(futures)
            elapsed, cpu = time.monotonic() - t0, time.process_time() - cpu0
        finally:
            await consumer.stop()
    finally:
        await producer.stop()
    return {"records_per_s": records / elapsed, "records": records, "cpu_us_per_record": round(cpu / records * 1e6)}


def _echo_server(port: int, ready) -> None:  # noqa: ANN001
    async def main() -> None:
        async def unary(request: bytes, context) -> bytes:  # noqa: ANN001
            return request

        async def stream(requests, context) -> bytes:  # noqa: ANN001
            n = 0
            async for _ in requests:
                n += 1
            return n.to_bytes(8, "big")

        handler = grpc.method_handlers_generic_handler("bench.Echo", {
            "Unary": grpc.unary_unary_rpc_method_handler(unary),
            "Stream": grpc.stream_unary_rpc_method_handler(stream)})
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((handler,))
        server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        ready.set()
        await server.wait_for_termination()

    asyncio.run(main())


async def b_rpc(unary_calls: int, stream_messages: int, concurrency: int = 64) -> dict:
    port = free_port()
    # spawn, not fork: a forked child of a process with gRPC/aiokafka threads can deadlock.
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=_echo_server, args=(port, ready), daemon=True)
    proc.start()
    if not await asyncio.to_thread(ready.wait, 60):
        proc.kill()
        raise RuntimeError("echo server did not start")
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            unary = channel.unary_unary("/bench.Echo/Unary")
            stream = channel.stream_unary("/bench.Echo/Stream")
            queue = list(range(unary_calls))

            async def worker() -> None:
                while queue:
                    queue.pop()
                    await unary(RECORD, timeout=30)

            t0 = time.monotonic()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            unary_rate = unary_calls / (time.monotonic() - t0)
            t0 = time.monotonic()
            await stream(iter([RECORD] * stream_messages), timeout=120)
            stream_rate = stream_messages / (time.monotonic() - t0)
    finally:
        proc.terminate()
        proc.join(5)
    return {"unary_per_s": unary_rate, "streaming_per_s": stream_rate}


def b_hash(values: list[bytes], minimum: int = 100_000) -> dict:
    records = values * max(1, minimum // max(1, len(values)))
    head = b"\x00" * 32
    t0 = time.perf_counter()
    for v in records:
        head = hashlib.sha256(head + v).digest()
    return {"records_per_s": len(records) / (time.perf_counter() - t0), "records": len(records)}
