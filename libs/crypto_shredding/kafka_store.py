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
import os
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cloudevents_kafka.kafka import MAX_BATCH_BYTES, all_acked, replay_raw, send_partitioned, settled
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

    async def start(self, *, fold: bool = True) -> int:
        """Start the producer and fold the topic; ``fold=False`` for a process whose own
        follower of the topic calls ``apply`` (it would otherwise read every key twice)."""
        self._producer = AIOKafkaProducer(bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True,
                                          max_batch_size=MAX_BATCH_BYTES)
        await self._producer.start()
        return await self.refresh() if fold else 0

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
        await self.ensure_keys([key_id])

    async def ensure_keys(self, key_ids: Iterable[str]) -> None:
        """`ensure_key` for many at once: every missing key is sent, then all acknowledgements
        are awaited (one round trip for the lot). Returns only when every key is stored; raises
        (KafkaError, or LookupError when another caller failed to store one) otherwise, and then
        none of the keys that were not acknowledged is usable."""
        key_ids = list(key_ids)
        loop = asyncio.get_running_loop()
        ours: dict[str, tuple[bytes, bytes, asyncio.Future]] = {}
        theirs: list[asyncio.Future] = []
        for key_id in key_ids:
            if key_id in self._keys or key_id in ours:
                continue
            if (pending := self._pending.get(key_id)) is not None:  # another caller is storing it
                theirs.append(pending)
                continue
            ours[key_id] = (os.urandom(KID_BYTES), AESGCM.generate_key(bit_length=256), loop.create_future())
            self._pending[key_id] = ours[key_id][2]
        sent: list[asyncio.Future] = []
        try:
            sent = await send_partitioned(self._producer, [
                (self._topic, key_id.encode(), kid + wrap(self._master, key_id, key), [])
                for key_id, (kid, key, _) in ours.items()])
            await all_acked(sent)
            for key_id, (kid, key, _) in ours.items():
                self._keys[key_id] = (kid, key)
        finally:
            settled(sent)
            for key_id, (_, _, done) in ours.items():
                done.set_result(None)
                self._pending.pop(key_id, None)
        for pending in theirs:
            await asyncio.shield(pending)
        missing = [k for k in key_ids if k not in self._keys] if theirs else []
        if missing:
            raise LookupError(f"the key for {missing[0]} was not stored (another attempt failed); retry")

    async def erase(self, key_id: str) -> bool:
        existed = key_id in self._keys
        await self._producer.send_and_wait(self._topic, key=key_id.encode(), value=TOMBSTONE)
        self._keys.pop(key_id, None)
        return existed

    def has_key(self, key_id: str) -> bool:
        return key_id in self._keys
