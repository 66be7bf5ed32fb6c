"""What an operator and an integrator rely on: reflection lists every method, Kafka's own
console consumer reads every topic, every event carries the CloudEvents headers, and the demo
(the README's main command) runs through against the same stack."""

from __future__ import annotations

import socket
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
from tests.conftest import eventually, free_block
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


def stack_command(env: dict, command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "deploy/local/stack.py", command], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_status_shows_each_service_serving_and_each_group_lag(stack: dict) -> None:
    def healthy() -> subprocess.CompletedProcess | None:
        shown = stack_command(stack["env"], "status")
        lag = shown.stdout.partition("consumer lag")[2]
        return shown if shown.returncode == 0 and "knooppunt-registration" in lag and "adapter-politie" in lag else None

    shown = eventually(healthy, "status to show every group", timeout_s=60)
    for name, port in stack["ports"].items():
        line = next(line for line in shown.stdout.splitlines() if line.startswith(name + " "))
        assert f"127.0.0.1:{port}" in line and line.endswith("SERVING") and "NOT_SERVING" not in line, line
    groups = dict(line.split() for line in shown.stdout.partition("consumer lag")[2].splitlines()[1:])
    assert all(int(lag) >= -1 for lag in groups.values()), groups


def test_up_refuses_ports_held_by_another_program_and_starts_nothing(stack: dict, tmp_path: Path) -> None:
    base = free_block(5)
    env = {**stack["env"], "KNOOPPUNT_RUN": str(tmp_path / "run"), "KNOOPPUNT_PORT_BASE": str(base)}
    stopped = stack_command(env, "status")
    assert stopped.returncode == 1 and "intake                   stopped" in stopped.stdout, stopped.stdout
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", base + 3))  # referral's port
        stranger.listen()
        up = stack_command(env, "up")
    assert up.returncode == 1
    assert f"ports in use by another program: referral {base + 3}" in up.stderr, up.stderr
    assert not (tmp_path / "run" / "pids").exists()  # nothing was started
