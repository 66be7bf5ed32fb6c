"""Registration's side of crypto-shredding: open sealed descriptions, follow erasures.

The key store is read at start-up and followed afterwards (a Faust agent on keys.subjects), so
an erasure anywhere makes the description unreadable here at once. Erased person keys make
hit/no-hit answer "not known" (privacy.erasures).
"""

from __future__ import annotations

from crypto_shredding import ERASED, FieldCipher, SealError, field_aad, signal_key
from crypto_shredding.kafka_store import KafkaKeyStore


class DescriptionOpener:
    def __init__(self, keys: KafkaKeyStore) -> None:
        self._cipher = FieldCipher(keys)

    def __call__(self, signal_id: str, sealed: bytes) -> str:
        try:
            opened = self._cipher.open(signal_key(signal_id), sealed, field_aad(signal_id, "description"))
        except SealError:
            return "[onleesbaar: beschadigd]"
        return ERASED if opened is None else opened
