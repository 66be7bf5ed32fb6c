"""The audit service on the real broker, in isolated topics: kill -9 during a load of
decisions, then tampering with copies of the log it wrote, each detected at the right place.

The module runs one audit service (its own consumer group, source topics, audit topic and
checkpoint topic), so it never touches `audit.log` of other tests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from cloudevents_kafka.kafka import EventPublisher, replay_raw
from knooppunt.audit.v1.events_pb2 import AuditEntry
from knooppunt.referral.v1 import events_pb2 as referral
from services.audit import cli
from services.audit.domain.chain import GENESIS, chain_next
from services.audit.topics import AUDIT_CHECKPOINTS, AUDIT_LOG
from tests.unit.audit.factories import decision, issued
from tests.unit.audit.test_register_and_ldv import checked, feedback
from topic_catalog import TopicSpec
from topic_catalog.ensure import ensure_topics

from tests.conftest import eventually, free_port

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
N_EVENTS = 300





def _read(topic: str) -> list:
    async def go() -> list:
        return [r async for r in replay_raw(BOOTSTRAP, [topic])]
    return asyncio.run(go())


def until(probe, what: str = "condition", timeout_s: float = 90.0):  # noqa: ANN001, ANN201
    return eventually(probe, what, timeout_s)


@pytest.fixture(scope="module")
def iso(tmp_path_factory):  # noqa: ANN001, ANN201
    tag = uuid.uuid4().hex[:10]
    tmp = tmp_path_factory.mktemp("audit-iso")
    topics = {
        "AUDIT_DECISIONS_TOPIC": TopicSpec(f"test.{tag}.lio.decisions", 3, "k", "test"),
        "AUDIT_REFERRALS_TOPIC": TopicSpec(f"test.{tag}.referrals.events", 3, "k", "test"),
        "AUDIT_DISCLOSURES_TOPIC": TopicSpec(f"test.{tag}.registration.disclosures", 3, "k", "test"),
        "AUDIT_LOG_TOPIC": dataclasses.replace(AUDIT_LOG, name=f"test.{tag}.audit.log"),
        "AUDIT_CHECKPOINT_TOPIC": dataclasses.replace(AUDIT_CHECKPOINTS, name=f"test.{tag}.audit.checkpoints"),
    }
    ensure_topics(BOOTSTRAP, 1, tuple(topics.values()))
    priv, pub = tmp / "audit-signing.key", tmp / "audit.pub"
    assert cli.main(["keygen", "--private-key", str(priv), "--public-key", str(pub), "--name", "knooppunt.test/audit"]) == 0
    port = free_port()
    env = {**os.environ, **{k: v.name for k, v in topics.items()},
           "KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP, "GRPC_PORT": str(port), "LOG_LEVEL": "WARNING",
           "KNOOPPUNT_ALLOW_INSECURE_DEV": "1", "DATA_DIR": str(tmp / "data"), "AUDIT_APP_ID": f"test-audit-{tag}",
           "AUDIT_SIGNING_KEY": str(priv), "AUDIT_LOG_ORIGIN": "knooppunt.test/audit",
           "AUDIT_CHECKPOINT_FILE": str(tmp / "checkpoint"), "AUDIT_CHECKPOINT_EVERY": "25",
           "AUDIT_CHECKPOINT_INTERVAL_S": "1"}
    state = {"env": env, "topics": {k: v.name for k, v in topics.items()}, "pub": str(pub), "tmp": tmp, "procs": []}
    yield state
    for proc in state["procs"]:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _start(iso) -> subprocess.Popen:  # noqa: ANN001
    proc = subprocess.Popen([sys.executable, "-m", "services.audit"], cwd=ROOT, env=iso["env"])
    iso["procs"].append(proc)
    return proc


def _events() -> list[tuple[str, str, object]]:
    """(topic env name, event id, message): all four kinds of decision, as the system emits them."""
    out = []
    for i in range(N_EVENTS):
        kind = i % 4
        if kind == 0:
            msg, topic = decision(f"sig-{i}"), "AUDIT_DECISIONS_TOPIC"
        elif kind == 1:
            msg, topic = issued(f"sig-{i}"), "AUDIT_REFERRALS_TOPIC"
        elif kind == 2:
            msg, topic = feedback(referral.FEEDBACK_OUTCOME_TAKEN_INTO_CASE), "AUDIT_REFERRALS_TOPIC"
        else:
            msg, topic = checked(i % 8 == 3), "AUDIT_DISCLOSURES_TOPIC"
        out.append((topic, str(uuid.uuid4()), msg))
    return out


def _verify(iso, topic: str, checkpoint_topic: str, capsys) -> tuple[int, str]:  # noqa: ANN001
    capsys.readouterr()
    rc = cli.main(["verify", "--bootstrap-servers", BOOTSTRAP, "--topic", topic, "--checkpoint-topic",
                   checkpoint_topic, "--public-key", iso["pub"], "--no-progress"])
    return rc, capsys.readouterr().out


def test_kill_9_during_a_load_of_decisions_loses_and_duplicates_nothing(iso, capsys):  # noqa: ANN001
    events = _events()
    log_topic = iso["topics"]["AUDIT_LOG_TOPIC"]

    async def publish(batch) -> None:  # noqa: ANN001
        publisher = EventPublisher(BOOTSTRAP, source="/tests/audit-kill")
        await publisher.start()
        try:
            for topic, event_id, msg in batch:
                await publisher.publish(iso["topics"][topic], event_id, msg, event_id=event_id)
        finally:
            await publisher.stop()

    proc = _start(iso)
    asyncio.run(publish(events[: N_EVENTS // 2]))
    # Kill it while it is appending: some entries are logged, others not yet.
    until(lambda: len(_read(log_topic)) >= 40, what="the service to log entries")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    logged_at_kill = len(_read(log_topic))
    # More decisions arrive while it is down, and some are delivered twice.
    asyncio.run(publish(events[N_EVENTS // 2 :] + events[:20]))
    _start(iso)
    until(lambda: len(_read(log_topic)) >= N_EVENTS, timeout_s=180, what=f"{N_EVENTS} entries after restart")
    time.sleep(3)  # redeliveries after the restart must not add anything
    records = _read(log_topic)
    entries = [AuditEntry.FromString(r.value) for r in records]
    assert logged_at_kill < N_EVENTS
    assert len(entries) == N_EVENTS
    assert [e.sequence for e in entries] == list(range(N_EVENTS))
    assert sorted(e.source_event_id for e in entries) == sorted(eid for _, eid, _ in events)
    # Wait for a checkpoint over the whole log, then verify as an auditor would.
    cp_topic = iso["topics"]["AUDIT_CHECKPOINT_TOPIC"]
    until(lambda: any(r.value.split(b"\n")[1] == str(N_EVENTS).encode() for r in _read(cp_topic)),
           what="a checkpoint over the whole log")
    rc, out = _verify(iso, log_topic, cp_topic, capsys)
    assert rc == 0, out
    assert out.startswith(f"OK: {N_EVENTS} entries")


# ---- tampering, each on a copy of the log written above ---------------------------------


def _copy(src: str, transform=lambda records: records) -> str:  # noqa: ANN001
    dst = f"{src}.copy.{uuid.uuid4().hex[:6]}"
    ensure_topics(BOOTSTRAP, 1, (TopicSpec(dst, 1, "k", "tamper copy"),))
    records = [(r.key, r.value, r.headers) for r in _read(src)]

    async def write() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            for key, value, headers in transform(records):
                await producer.send_and_wait(dst, value=value, key=key, headers=headers)
        finally:
            await producer.stop()

    asyncio.run(write())
    return dst


def _flip(value: bytes, at: int) -> bytes:
    return value[:at] + bytes([value[at] ^ 0x01]) + value[at + 1 :]


def _forged_insert(records: list, k: int) -> list:
    """An entry forged by someone who knows the chain: right sequence, right previous hash."""
    head = GENESIS
    for _, value, _ in records[:k]:
        head = chain_next(head, value)
    forged = AuditEntry(sequence=k, entry_id=str(uuid.uuid4()), source_event_id=str(uuid.uuid4()),
                        summary="Referral issued to onbekende-partij", previous_chain_hash=head.hex())
    return [*records[:k], (b"forged", forged.SerializeToString(deterministic=True), []), *records[k:]]


K = 10
TAMPERING = {
    # name: (transform, expected first bad position (entry), expected kind)
    "one_flipped_byte": (lambda r: [*r[:K], (r[K][0], _flip(r[K][1], len(r[K][1]) - 2), r[K][2]), *r[K + 1 :]],
                         K, "changed"),
    "deleted_entry": (lambda r: r[:K] + r[K + 1 :], K, "removed"),
    "inserted_entry": (lambda r: _forged_insert(r, K), K, "inserted"),
    "two_entries_swapped": (lambda r: [*r[:K], r[K + 1], r[K], *r[K + 2 :]], K, "reordered"),
    "tail_truncated": (lambda r: r[:-5], N_EVENTS - 5, "truncated"),
    "old_entry_replayed": (lambda r: [*r, r[3]], N_EVENTS, "replayed"),
}


@pytest.mark.parametrize("name", list(TAMPERING))
def test_tampering_with_a_copy_is_detected_at_the_first_bad_entry(iso, capsys, name):  # noqa: ANN001
    transform, position, kind = TAMPERING[name]
    copy = _copy(iso["topics"]["AUDIT_LOG_TOPIC"], transform)
    rc, out = _verify(iso, copy, iso["topics"]["AUDIT_CHECKPOINT_TOPIC"], capsys)
    assert rc == 1, out
    assert out.startswith(f"FAILED at entry {position} [{kind}]"), out


def test_an_untouched_copy_verifies_clean(iso, capsys):  # noqa: ANN001
    copy = _copy(iso["topics"]["AUDIT_LOG_TOPIC"])
    cps = _copy(iso["topics"]["AUDIT_CHECKPOINT_TOPIC"])
    rc, out = _verify(iso, copy, cps, capsys)
    assert rc == 0 and out.startswith(f"OK: {N_EVENTS} entries"), out


def test_a_forged_checkpoint_signature_is_detected(iso, capsys):  # noqa: ANN001
    def forge(records: list) -> list:
        key, note, headers = records[-1]
        # Claim a bigger log: change the size, keep the old signature.
        lines = note.split(b"\n")
        lines[1] = str(int(lines[1]) + 100).encode()
        return [*records[:-1], (key, b"\n".join(lines), headers)]

    cps = _copy(iso["topics"]["AUDIT_CHECKPOINT_TOPIC"], forge)
    n_cps = len(_read(cps))
    rc, out = _verify(iso, iso["topics"]["AUDIT_LOG_TOPIC"], cps, capsys)
    assert rc == 1
    assert re.match(rf"FAILED at checkpoint {n_cps - 1} \[checkpoint_signature\]", out), out


def test_inclusion_and_consistency_proofs_check_offline(iso, capsys, tmp_path):  # noqa: ANN001
    common = ["--bootstrap-servers", BOOTSTRAP, "--topic", iso["topics"]["AUDIT_LOG_TOPIC"],
              "--checkpoint-topic", iso["topics"]["AUDIT_CHECKPOINT_TOPIC"], "--public-key", iso["pub"],
              "--no-progress"]
    proof = tmp_path / "inclusion.json"
    assert cli.main(["prove-inclusion", "17", "--output", str(proof), *common]) == 0
    assert cli.main(["check-inclusion", str(proof), "--public-key", iso["pub"]]) == 0
    assert capsys.readouterr().out.startswith("OK: entry 17 is in the log")
    # The partner's copy of the proof, changed, fails.
    proof.write_text(proof.read_text().replace('"sequence": 17', '"sequence": 18'))
    assert cli.main(["check-inclusion", str(proof), "--public-key", iso["pub"]]) == 1
    # Consistency between two signed checkpoints.
    sizes = sorted({int(r.value.split(b"\n")[1]) for r in _read(iso["topics"]["AUDIT_CHECKPOINT_TOPIC"])})
    old, new = sizes[0] or sizes[1], sizes[-1]
    cons = tmp_path / "consistency.json"
    assert cli.main(["prove-consistency", str(old), str(new), "--output", str(cons), *common]) == 0
    assert cli.main(["check-consistency", str(cons), "--public-key", iso["pub"]]) == 0


def test_ldv_export_of_the_real_log_validates(iso, capsys, tmp_path):  # noqa: ANN001
    out = tmp_path / "ldv.jsonl"
    rc = cli.main(["export-ldv", "--bootstrap-servers", BOOTSTRAP, "--topic", iso["topics"]["AUDIT_LOG_TOPIC"],
                   "--output", str(out), "--no-progress"])
    assert rc == 0
    assert len(out.read_text().splitlines()) >= N_EVENTS // 2
