"""What an operator and an integrator rely on: reflection lists every method, Kafka's own
console consumer reads every topic, every event carries the CloudEvents headers, and the demo
(the README's main command) runs through against the same stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from kafka import KafkaConsumer, TopicPartition
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from google.protobuf.descriptor_pool import DescriptorPool

from knooppunt.audit.v1 import audit_pb2
from knooppunt.intake.v1 import intake_pb2
from knooppunt.lio.v1 import lio_pb2
from knooppunt.referral.v1 import referral_pb2
from knooppunt.registration.v1 import registration_pb2
from tests.e2e.clients import channel
from topic_catalog import ALL_TOPICS, AUDIT_CHECKPOINTS, PRIVACY_ERASURES, SUBJECT_KEYS

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]
ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = {
    "intake": intake_pb2.DESCRIPTOR.services_by_name["IntakeService"],
    "registration": registration_pb2.DESCRIPTOR.services_by_name["RegistrationService"],
    "lio": lio_pb2.DESCRIPTOR.services_by_name["LioService"],
    "referral": referral_pb2.DESCRIPTOR.services_by_name["ReferralService"],
    "audit": audit_pb2.DESCRIPTOR.services_by_name["AuditService"],
}


@pytest.mark.parametrize("service", list(CONTRACTS))
def test_reflection_lists_every_method(stack: dict, service: str) -> None:
    with channel(stack, service, "operator:beheer") as ch:
        db = ProtoReflectionDescriptorDatabase(ch)
        names = set(db.get_services())
        contract = CONTRACTS[service]
        assert {contract.full_name, "grpc.health.v1.Health"} <= names
        served = DescriptorPool(db).FindServiceByName(contract.full_name)
        assert sorted(m.name for m in served.methods) == sorted(m.name for m in contract.methods)


def test_demo_runs_through(stack: dict) -> None:
    demo = subprocess.run([sys.executable, "deploy/demo/demo.py"], cwd=ROOT, env=stack["env"],
                          capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stdout[-4000:] + demo.stderr[-4000:]
    assert "Demo complete" in demo.stdout and "OK" in demo.stdout


def test_console_consumer_reads_every_topic_with_cloudevents_headers(stack: dict) -> None:
    """Runs after the demo (test order in this module), so every topic holds events."""
    classpath = subprocess.run(["bash", "deploy/kafka/kafka.sh", "classpath"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
    consumer = KafkaConsumer(bootstrap_servers=stack["bootstrap"])
    required = ("ce_specversion:1.0", "ce_id:", "ce_source:", "ce_type:nl.knooppunt.", "ce_time:",
                "content-type:application/protobuf", "traceparent:00-")
    try:
        # keys.subjects holds wrapped keys, not events; erasures happen only when retention runs.
        for topic in [t for t in ALL_TOPICS if t not in (SUBJECT_KEYS, PRIVACY_ERASURES)]:
            partitions = [TopicPartition(topic.name, p) for p in consumer.partitions_for_topic(topic.name)]
            records = sum(consumer.end_offsets(partitions).values()) - sum(consumer.beginning_offsets(partitions).values())
            assert records > 0, f"{topic.name} holds no events after the demo"
            out = subprocess.run(
                ["java", "-cp", classpath, "org.apache.kafka.tools.consumer.ConsoleConsumer",
                 "--bootstrap-server", stack["bootstrap"], "--topic", topic.name, "--from-beginning",
                 "--max-messages", str(records), "--timeout-ms", "30000",
                 "--formatter-property", "print.headers=true", "--formatter-property", "print.value=false"],
                capture_output=True, text=True, timeout=120,
            )
            assert f"Processed a total of {records} messages" in out.stderr, f"{topic.name}: {out.stderr[-500:]}"
            if topic == AUDIT_CHECKPOINTS:
                continue  # signed notes (C2SP format, text), not CloudEvents: read above, verified by the CLI
            # Kafka's tools may log to stdout too; records are the lines that carry headers.
            printed = [line for line in out.stdout.splitlines() if "ce_id:" in line]
            assert len(printed) == records, f"{topic.name}: read {len(printed)} of {records} records\n{out.stderr[-500:]}"
            for line in printed:
                missing = [h for h in required if h not in line]
                assert not missing, f"{topic.name}: record without {missing}: {line[:300]}"
    finally:
        consumer.close()
