"""The key store on Kafka: a compacted topic of wrapped data keys, keyed by key id.

A key is created by publishing its wrapped form (acks=all) before any value is sealed with it,
so a crash can never leave sealed data without a stored key. Erasure publishes a tombstone
(null value): the process forgets the key at once, and log compaction removes the wrapped key
from the broker's disk (the topic's segment.ms bounds how long that takes; see ADR 0009).
Every process reads the whole topic at start-up and follows it, so an erasure anywhere is an
erasure everywhere.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import os

from cloudevents_kafka.kafka import replay_raw
from crypto_shredding import KID_BYTES, unwrap, wrap

TOMBSTONE = None


class KafkaKeyStore:
    def __init__(self, bootstrap: str, topic: str, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the master key must be 32 bytes (AES-256)")
        self._bootstrap = bootstrap
        self._topic = topic
        self._master = master_key
        self._keys: dict[str, tuple[bytes, bytes]] = {}
        self._pending: dict[str, asyncio.Future] = {}
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> int:
        self._producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True)
        await self._producer.start()
        return await self.refresh()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def refresh(self) -> int:
        """Fold the whole topic (last record per key wins)."""
        count = 0
        async for record in replay_raw(self._bootstrap, [self._topic]):
            self.apply(record.key.decode(), record.value)
            count += 1
        return count

    def apply(self, key_id: str, value: bytes | None) -> None:
        """Fold one record: the wrapped key (kid + wrapped data key), or a tombstone."""
        if value is TOMBSTONE:
            self._keys.pop(key_id, None)
        else:
            self._keys[key_id] = (value[:KID_BYTES], unwrap(self._master, key_id, value[KID_BYTES:]))

    def data_key(self, key_id: str, *, create: bool) -> tuple[bytes, bytes] | None:
        found = self._keys.get(key_id)
        if found is None and create:
            raise LookupError(f"no key for {key_id} yet: call ensure_key first (it must be stored before use)")
        return found

    def key_by_kid(self, key_id: str, kid: bytes) -> bytes | None:
        found = self._keys.get(key_id)
        return found[1] if found and found[0] == kid else None

    async def ensure_key(self, key_id: str) -> None:
        """Create and durably store a key for ``key_id`` if it has none (also after an erasure:
        new data about the same subject gets a new key; the old data stays unreadable)."""
        if key_id in self._keys:
            return True
        if key_id in self._pending:  # another coroutine is storing it right now
            await self._pending[key_id]
            return
        future = asyncio.get_running_loop().create_future()
        self._pending[key_id] = future
        try:
            kid, data_key = os.urandom(KID_BYTES), AESGCM.generate_key(bit_length=256)
            value = kid + wrap(self._master, key_id, data_key)
            await self._producer.send_and_wait(self._topic, key=key_id.encode(), value=value)
            self._keys[key_id] = (kid, data_key)
        finally:
            future.set_result(None)
            self._pending.pop(key_id, None)

    async def erase(self, key_id: str) -> bool:
        existed = key_id in self._keys
        await self._producer.send_and_wait(self._topic, key=key_id.encode(), value=TOMBSTONE)
        self._keys.pop(key_id, None)
        return existed

    def has_key(self, key_id: str) -> bool:
        return key_id in self._keys
