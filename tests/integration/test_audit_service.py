"""The audit service on the real broker: events in, chained entries out, over real gRPC.

The audit topic is shared with other tests, so this asserts on its own entries (by signal id)
and on the validity of the whole chain.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cloudevents_kafka.kafka import EventPublisher
from knooppunt.audit.v1 import audit_pb2, audit_pb2_grpc
from knooppunt.audit.v1.events_pb2 import ENTRY_KIND_LIO_DECISION, ENTRY_KIND_REFERRAL_ISSUED
from topic_catalog import LIO_DECISIONS, REFERRAL_EVENTS
from tests.unit.audit.factories import decision, issued

from tests.conftest import eventually, free_port

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")





def until(probe, what: str = "condition", timeout_s: float = 60.0):  # noqa: ANN001, ANN201
    return eventually(probe, what, timeout_s)


@pytest.fixture(scope="module")
def audit_service():
    port = free_port()
    env = {**os.environ, "GRPC_PORT": str(port), "KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP, "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "services.audit"], cwd=ROOT, env=env)
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    health = health_pb2_grpc.HealthStub(channel)

    def serving() -> bool:
        assert proc.poll() is None, "audit service exited"
        try:
            return health.Check(health_pb2.HealthCheckRequest(), timeout=1).status == health_pb2.HealthCheckResponse.SERVING
        except grpc.RpcError:
            return False

    try:
        until(serving, what="audit service SERVING")
        yield audit_pb2_grpc.AuditServiceStub(channel)
    finally:
        channel.close()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _entries(stub, signal_id: str) -> list:  # noqa: ANN001
    return list(stub.ListEntries(audit_pb2.ListEntriesRequest(signal_id=signal_id, page_size=500), timeout=5).entries)


async def test_events_become_chained_entries_once_and_the_cli_verifies_the_log(audit_service):
    stub = audit_service
    signal_id = f"it-audit-{uuid.uuid4()}"
    publisher = EventPublisher(BOOTSTRAP, source="/tests/audit")
    await publisher.start()
    try:
        # A sharing decision, one without sharing (no entry), and a referral issued.
        await publisher.publish(LIO_DECISIONS.name, signal_id, decision(signal_id), event_id=str(uuid.uuid4()))
        await publisher.publish(LIO_DECISIONS.name, signal_id, decision(signal_id, sharing=False),
                                event_id=str(uuid.uuid4()))
        ref = issued(signal_id)
        await publisher.publish(REFERRAL_EVENTS.name, ref.referral.referral_id, ref, event_id=str(uuid.uuid4()))
        found = until(lambda: len(_entries(stub, signal_id)) >= 2 and _entries(stub, signal_id), what="two entries")
        assert sorted(e.kind for e in found) == [ENTRY_KIND_LIO_DECISION, ENTRY_KIND_REFERRAL_ISSUED]

        # The same event delivered twice, then a marker on the same partition (same key):
        # once the marker is logged, the duplicate has been handled.
        twice = decision(signal_id)
        twice_id = str(uuid.uuid4())
        await publisher.publish(LIO_DECISIONS.name, signal_id, twice, event_id=twice_id)
        await publisher.publish(LIO_DECISIONS.name, signal_id, twice, event_id=twice_id)
        marker_id = str(uuid.uuid4())
        await publisher.publish(LIO_DECISIONS.name, signal_id, decision(signal_id), event_id=marker_id)
        until(lambda: any(e.source_event_id == marker_id for e in _entries(stub, signal_id)), what="marker entry")
        assert [e.source_event_id for e in _entries(stub, signal_id)].count(twice_id) == 1
    finally:
        await publisher.stop()

    # The service's own view of the whole log is a valid chain ...
    verified = stub.VerifyLog(audit_pb2.VerifyLogRequest(), timeout=10)
    assert verified.ok, verified.problem
    # ... and so is the auditor's, read independently from Kafka.
    cli = subprocess.run(
        [sys.executable, "-m", "services.audit.cli", "verify", "--bootstrap-servers", BOOTSTRAP],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert cli.stdout.startswith("OK: ")
    replay = subprocess.run(
        [sys.executable, "-m", "services.audit.cli", "replay", "--format", "jsonl", "--bootstrap-servers", BOOTSTRAP],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert replay.returncode == 0 and signal_id in replay.stdout
