"""Reference partner adapter: receive referrals, store them, acknowledge, and only then move on.

Two transports, one order of steps:
  1. receive the next referral: from the Kafka topic `referrals.to.<partner>` (consumer group
     `adapter-<partner>`, no auto-commit), or from the gRPC stream SubscribeReferrals;
  2. store it (here: one JSON line in <output-dir>/<partner>/received.jsonl), skipping a
     referral_id that is already stored, because delivery is at-least-once;
  3. acknowledge it over gRPC (AcknowledgeReferral; a repeat is harmless);
  4. only then move on: commit the Kafka offset / read the next stream message.
A crash anywhere before 3 means the referral comes again (the offset was not committed; the
stream resends everything not acknowledged; the service's sweeper redelivers it); steps 2 and 3
make that harmless. This adapter must never commit an offset for a referral it has not stored.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from pathlib import Path

import grpc
import structlog

import logsetup
from grpc_security import aio_channel
from knooppunt.referral.v1 import events_pb2, referral_pb2, referral_pb2_grpc
from knooppunt.sharing.v1 import sharing_pb2
from services.partner_adapter.store import ReceivedFile
from topic_catalog import REFERRAL_RECIPIENTS

log = structlog.get_logger("partner_adapter")
# The referral service records a referral just *after* delivering it, so an acknowledgement can
# briefly meet NOT_FOUND; after this long it is an incident, not a race.
NOT_FOUND_GRACE_S = 120.0
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.NOT_FOUND}


class Adapter:
    def __init__(self, partner: str, store: ReceivedFile, stub: referral_pb2_grpc.ReferralServiceStub, stop: asyncio.Event) -> None:
        self.partner, self.store, self.stub, self.stop = partner, store, stub, stop
        self.actor = sharing_pb2.Actor(person_id=f"adapter-{partner}", role="partner-adapter", organisation=partner)

    async def receive(self, referral: events_pb2.Referral) -> bool:
        """Store and acknowledge one referral; False only when stopping before it was acknowledged."""
        if referral.recipient != self.partner:
            # Cannot happen through the service; if it ever does, it is not ours to keep.
            log.error("referral_for_someone_else_skipped", referral_id=referral.referral_id)
            return True
        stored = self.store.store(referral)
        return await self.acknowledge(referral.referral_id, stored, referral.redelivery)

    async def acknowledge(self, referral_id: str, stored: bool, redelivery: int = 0) -> bool:
        request = referral_pb2.AcknowledgeReferralRequest(
            referral_id=referral_id, recipient=self.partner, acknowledged_by=self.actor
        )
        waited, backoff = 0.0, 0.2
        while not self.stop.is_set():
            try:
                reply = await self.stub.AcknowledgeReferral(request, timeout=10, wait_for_ready=True)
                log.info("referral_received", referral_id=referral_id, stored=stored,
                         first_ack=reply.first_acknowledgement, redelivery=redelivery)
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
    cert_dir = Path(args.tls_cert_dir) if args.tls_cert_dir else None
    async with aio_channel(args.referral_endpoint, cert_dir, f"partner:{args.partner}") as channel:
        adapter = Adapter(args.partner, store, referral_pb2_grpc.ReferralServiceStub(channel), stop)
        log.info("adapter_started", partner=args.partner, transport=args.transport, file=str(store.path),
                 known=len(store.ids))
        try:
            if args.transport == "kafka":
                from services.partner_adapter.kafka_transport import receive_from_kafka

                await receive_from_kafka(adapter, args.bootstrap_servers, args.group_id or f"adapter-{args.partner}")
            else:
                from services.partner_adapter.grpc_transport import receive_from_stream

                await receive_from_stream(adapter)
        finally:
            log.info("adapter_stopped", partner=args.partner)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.partner_adapter", description=__doc__.splitlines()[0])
    parser.add_argument("--partner", required=True, choices=REFERRAL_RECIPIENTS)
    parser.add_argument("--transport", choices=("kafka", "grpc"), default="kafka",
                        help="kafka: consume referrals.to.<partner>; grpc: SubscribeReferrals")
    parser.add_argument("--output-dir", default=".run/partners")
    parser.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--group-id", default="", help="Kafka consumer group (default adapter-<partner>)")
    parser.add_argument("--referral-endpoint", default=os.environ.get("REFERRAL_ENDPOINT", "127.0.0.1:50054"))
    parser.add_argument("--tls-cert-dir", default=os.environ.get("TLS_CERT_DIR", ""),
                        help="mTLS: directory with ca.pem and clients/partner_<partner>.pem/.key")
    args = parser.parse_args()
    logsetup.configure(f"adapter-{args.partner}", os.environ.get("LOG_LEVEL", "INFO"))
    asyncio.run(run(args))
