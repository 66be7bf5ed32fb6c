"""The retention job on the real broker: expired keys are destroyed, each erasure is an event
for the audit log, a dry run changes nothing, and a second run does nothing twice."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest

from cloudevents_kafka import EventTypes
from cloudevents_kafka.kafka import EventPublisher, replay
from crypto_shredding import FieldCipher
from crypto_shredding.kafka_store import KafkaKeyStore
from knooppunt.privacy.v1 import events_pb2 as privacy_events
from knooppunt.registration.v1 import events_pb2 as registration_events
from knooppunt.signal.v1 import signal_pb2
from prototime import to_timestamp
from tests.conftest import ROOT, dev_setting
from topic_catalog import PRIVACY_ERASURES, SIGNALS_REGISTERED, SUBJECT_KEYS

pytestmark = pytest.mark.kafka
# Every process on one broker shares one master key, as in a deployment.
MASTER = bytes.fromhex(dev_setting("MASTER_KEY"))


async def test_retention_erases_expired_data_once_and_logs_it(bootstrap: str, tmp_path) -> None:  # noqa: ANN001
    register = tmp_path / "register.toml"
    register.write_text('[[activity]]\nid = "test-retention/v1"\n[activity.retention]\ndefault = "P1Y"\n')
    signal_id, person = f"ret-{uuid.uuid4()}", f"person:{uuid.uuid4().hex}"
    # A signal registered in 2020 about a person, with its data sealed under its own key.
    publisher = EventPublisher(bootstrap, source="/tests/retention")
    await publisher.start()
    keys = KafkaKeyStore(bootstrap, SUBJECT_KEYS.name, MASTER)
    await keys.start()
    try:
        await publisher.publish(SIGNALS_REGISTERED.name, key=signal_id, message=registration_events.SignalRegistered(
            signal_id=signal_id, registration_number="2020-000042", registered_at=to_timestamp(datetime(2020, 3, 1, tzinfo=UTC)),
            subjects=[signal_pb2.SubjectKey(kind=signal_pb2.SUBJECT_KIND_PERSON, key=person)]))
        await keys.ensure_key(f"signal:{signal_id}")
        await keys.ensure_key(person)
        sealed = FieldCipher(keys).seal(f"signal:{signal_id}", "omschrijving met namen", "description")
    finally:
        await publisher.stop()
        await keys.stop()
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "MASTER_KEY": MASTER.hex()}
    job = [sys.executable, "-m", "services.privacy.retention", "--register", str(register), "--activity", "test-retention/v1"]

    # 1. Dry run: reports, changes nothing.
    dry = subprocess.run([*job, "--dry-run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert dry.returncode == 0, dry.stderr
    assert "would erase signal data of 2020-000042" in dry.stdout and "would erase person data of 2020-000042" in dry.stdout
    check = KafkaKeyStore(bootstrap, SUBJECT_KEYS.name, MASTER)
    await check.start()
    assert check.has_key(f"signal:{signal_id}") and check.has_key(person)
    await check.stop()

    # 2. The real run: both keys destroyed; the sealed text is gone for good.
    real = subprocess.run(job, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert real.returncode == 0, real.stderr
    after = KafkaKeyStore(bootstrap, SUBJECT_KEYS.name, MASTER)
    await after.start()
    assert not after.has_key(f"signal:{signal_id}") and not after.has_key(person)
    assert FieldCipher(after).open(f"signal:{signal_id}", sealed, "description") is None
    await after.stop()

    # 3. A second run erases and logs nothing again.
    again = subprocess.run(job, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "2020-000042" not in again.stdout, again.stdout
    erasures = [e.data async for e in replay(bootstrap, [PRIVACY_ERASURES.name], EventTypes(privacy_events.DataErased))
                if e.data.signal_id == signal_id]
    assert sorted(e.key_id for e in erasures) == sorted([f"signal:{signal_id}", person])
    assert all(e.retention_rule.startswith("test-retention/v1#") and e.erased_by.role == "retention" for e in erasures)
