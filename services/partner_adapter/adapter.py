"""Reference partner adapter: receive referrals from Kafka, store them, acknowledge, then commit.

The order of the steps is the whole point:
  1. read the next referral from `referrals.to.<partner>` (consumer group `adapter-<partner>`);
  2. store it (here: one JSON line in <output-dir>/<partner>/received.jsonl), skipping a
     referral_id that is already stored, because delivery is at-least-once;
  3. acknowledge it over gRPC (AcknowledgeReferral; a repeat is harmless);
  4. only then commit the Kafka offset.
A crash anywhere before 4 means the referral is read again; steps 2 and 3 make that harmless.
This adapter must never commit an offset for a referral it has not stored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
from pathlib import Path

import grpc
import structlog
from aiokafka import AIOKafkaConsumer
from google.protobuf.json_format import MessageToDict

import logsetup
from cloudevents_kafka import EnvelopeError, EventTypes
from knooppunt.referral.v1 import events_pb2, referral_pb2, referral_pb2_grpc
from knooppunt.sharing.v1 import sharing_pb2
from topic_catalog import REFERRAL_RECIPIENTS, referral_topic_name

log = structlog.get_logger("partner_adapter")
REFERRALS = EventTypes(events_pb2.Referral)
# The referral service records a referral just *after* delivering it, so an acknowledgement can
# briefly meet NOT_FOUND; after this long it is an incident, not a race.
NOT_FOUND_GRACE_S = 120.0
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.NOT_FOUND}


class ReceivedFile:
    """The partner's store: an append-only JSON-lines file, deduplicated on referral_id."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.ids = {json.loads(line)["referral_id"] for line in path.open(encoding="utf-8")} if path.exists() else set()

    def store(self, referral: events_pb2.Referral) -> bool:
        if referral.referral_id in self.ids:
            return False
        line = json.dumps(MessageToDict(referral, preserving_proto_field_name=True), sort_keys=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())  # stored means on disk, before we acknowledge
        self.ids.add(referral.referral_id)
        return True


class Adapter:
    def __init__(self, partner: str, store: ReceivedFile, stub: referral_pb2_grpc.ReferralServiceStub, stop: asyncio.Event) -> None:
        self.partner, self.store, self.stub, self.stop = partner, store, stub, stop
        self.actor = sharing_pb2.Actor(person_id=f"adapter-{partner}", role="partner-adapter", organisation=partner)

    async def handle(self, headers, value) -> bool:  # noqa: ANN001
        """Store and acknowledge one record; False only when stopping before it was acknowledged."""
        try:
            referral = REFERRALS.decode(headers, value).data
        except EnvelopeError as exc:
            log.error("unreadable_referral_skipped", error=str(exc))
            return True
        if referral.recipient != self.partner:
            log.error("referral_for_someone_else_skipped", referral_id=referral.referral_id)
            return True
        stored = self.store.store(referral)
        return await self.acknowledge(referral.referral_id, stored)

    async def acknowledge(self, referral_id: str, stored: bool) -> bool:
        request = referral_pb2.AcknowledgeReferralRequest(
            referral_id=referral_id, recipient=self.partner, acknowledged_by=self.actor
        )
        waited, backoff = 0.0, 0.2
        while not self.stop.is_set():
            try:
                reply = await self.stub.AcknowledgeReferral(request, timeout=10, wait_for_ready=True)
                log.info("referral_received", referral_id=referral_id, stored=stored, first_ack=reply.first_acknowledgement)
                return True
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in RETRYABLE:
                    raise  # PERMISSION_DENIED, INVALID_ARGUMENT: a configuration error an operator must see
                if exc.code() == grpc.StatusCode.NOT_FOUND and waited > NOT_FOUND_GRACE_S:
                    log.error("referral_unknown_to_service", referral_id=referral_id)
                    return True  # stored, not acknowledged; do not block every later referral on it
                log.warning("acknowledge_retry", referral_id=referral_id, code=exc.code().name)
            try:
                await asyncio.wait_for(self.stop.wait(), backoff)
            except TimeoutError:
                pass
            waited, backoff = waited + backoff, min(backoff * 2, 5.0)
        return False


async def run(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    store = ReceivedFile(Path(args.output_dir) / args.partner / "received.jsonl")
    consumer = AIOKafkaConsumer(
        referral_topic_name(args.partner),
        bootstrap_servers=args.bootstrap_servers,
        group_id=f"adapter-{args.partner}",
        enable_auto_commit=False,  # we commit ourselves, after acknowledging
        auto_offset_reset="earliest",
    )
    async with grpc.aio.insecure_channel(args.referral_endpoint) as channel:
        adapter = Adapter(args.partner, store, referral_pb2_grpc.ReferralServiceStub(channel), stop)
        await consumer.start()
        log.info("adapter_started", partner=args.partner, file=str(store.path), known=len(store.ids))
        try:
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=500)
                for tp, records in batch.items():
                    for record in records:
                        if not await adapter.handle(record.headers, record.value):
                            return  # stopping: the uncommitted referral is read again next time
                        await consumer.commit({tp: record.offset + 1})
        finally:
            await consumer.stop()
            log.info("adapter_stopped", partner=args.partner)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.partner_adapter", description=__doc__.splitlines()[0])
    parser.add_argument("--partner", required=True, choices=REFERRAL_RECIPIENTS)
    parser.add_argument("--output-dir", default=".run/partners")
    parser.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--referral-endpoint", default=os.environ.get("REFERRAL_ENDPOINT", "127.0.0.1:50054"))
    args = parser.parse_args()
    logsetup.configure(f"adapter-{args.partner}", os.environ.get("LOG_LEVEL", "INFO"))
    asyncio.run(run(args))
