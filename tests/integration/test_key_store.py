"""The Kafka key store on the real broker: keys survive restarts, erasure reaches every
process, and a wrong master key opens nothing."""

from __future__ import annotations

import os
import uuid

import pytest

from crypto_shredding import FieldCipher, SealError
from crypto_shredding.kafka_store import KafkaKeyStore
from tests.conftest import dev_setting
from topic_catalog import SUBJECT_KEYS

pytestmark = pytest.mark.kafka
# Every process on one broker shares one master key, as in a deployment.
MASTER = bytes.fromhex(dev_setting("MASTER_KEY"))


async def test_keys_survive_restart_and_erasure_reaches_every_reader(bootstrap: str) -> None:
    key_id = f"person:{uuid.uuid4().hex}"
    writer = KafkaKeyStore(bootstrap, SUBJECT_KEYS.name, MASTER)
    await writer.start()
    try:
        await writer.ensure_key(key_id)
        sealed = FieldCipher(writer).seal(key_id, "Jan Jansen, 1978-04-02", "signal:1/person")
        # 1. A process that starts later (a restart, another service) reads the same key.
        reader = KafkaKeyStore(bootstrap, SUBJECT_KEYS.name, MASTER)
        await reader.start()
        assert FieldCipher(reader).open(key_id, sealed, "signal:1/person") == "Jan Jansen, 1978-04-02"
        # 2. Erasure: a tombstone; every process that reads the topic loses the key.
        assert await writer.erase(key_id) is True
        await reader.refresh()
        assert FieldCipher(reader).open(key_id, sealed, "signal:1/person") is None
        fresh = KafkaKeyStore(bootstrap, SUBJECT_KEYS.name, MASTER)
        await fresh.start()
        assert not fresh.has_key(key_id)
        assert FieldCipher(fresh).open(key_id, sealed, "signal:1/person") is None
        await reader.stop()
        await fresh.stop()
    finally:
        await writer.stop()


async def test_a_wrong_master_key_opens_nothing(bootstrap: str) -> None:
    key_id = f"person:{uuid.uuid4().hex}"
    writer = KafkaKeyStore(bootstrap, SUBJECT_KEYS.name, MASTER)
    await writer.start()
    await writer.ensure_key(key_id)
    await writer.stop()
    intruder = KafkaKeyStore(bootstrap, SUBJECT_KEYS.name, os.urandom(32))
    with pytest.raises(SealError, match="master key"):
        await intruder.start()
    await intruder.stop()
