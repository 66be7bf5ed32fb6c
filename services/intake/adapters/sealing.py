"""Sealing a signal's personal fields before it leaves intake (crypto-shredding, ADR 0009).

The free-text description and the reporter's identity are sealed under the signal's own key,
which is stored on keys.subjects before first use. The event then carries only ciphertext for
them; erasing the key (retention, erasure request) makes them unreadable in every topic,
replay and export. Never logs or keeps the plaintext.
"""

from __future__ import annotations

from collections.abc import Sequence

from crypto_shredding import FieldCipher, field_aad, signal_key
from crypto_shredding.kafka_store import KafkaKeyStore
from knooppunt.intake.v1 import events_pb2


class SignalSealer:
    def __init__(self, keys: KafkaKeyStore) -> None:
        self._keys = keys
        self._cipher = FieldCipher(keys)

    async def seal(self, event: events_pb2.SignalReceived) -> None:
        await self.seal_many([event])

    async def seal_many(self, events: Sequence[events_pb2.SignalReceived]) -> None:
        """Store every event's key (one round of acknowledgements), then seal them all. When
        storing a key fails nothing is sealed, so nothing under an unstored key can be published."""
        await self._keys.ensure_keys([signal_key(e.signal_id) for e in events])
        for event in events:
            self._seal(event)

    def _seal(self, event: events_pb2.SignalReceived) -> None:
        key = signal_key(event.signal_id)
        event.sealed_description = self._cipher.seal(key, event.description, field_aad(event.signal_id, "description"))
        event.description = ""
        if event.HasField("reporter"):
            event.sealed_reporter = self._cipher.seal_bytes(
                key, event.reporter.SerializeToString(deterministic=True), field_aad(event.signal_id, "reporter"))
            event.ClearField("reporter")
