"""Crypto-shredding: personal fields encrypted per data subject, erasable by destroying a key.

Charter: seal and open field values with AES-256-GCM under a data key per key id (a data
subject, e.g. ``person:<pseudonym>``, or a signal, ``signal:<id>``), and a key store whose
keys are themselves wrapped with a master key. Erasing a key id destroys its data key: from
then on every sealed value under it, in every topic, replay and export, is unreadable, while
the immutable log keeps the fact that something was processed.

It must never log keys or plaintext, and never fall back to storing plaintext.
"""

from __future__ import annotations

import os
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = b"\x01"
NONCE_BYTES = 12
# Each data key has a random key id-version (kid). A key id erased and later given a new key
# (a new signal about the same person) never opens values sealed under the old one.
KID_BYTES = 8
ERASED = "[gewist]"


class KeyStore(Protocol):
    def data_key(self, key_id: str, *, create: bool) -> tuple[bytes, bytes] | None:
        """(kid, data key) of ``key_id``; created when missing and ``create``; None once erased."""

    def key_by_kid(self, key_id: str, kid: bytes) -> bytes | None:
        """The data key with this kid, or None when it was erased (or never existed here)."""

    async def erase(self, key_id: str) -> bool:
        """Destroy the key; True when it existed. Idempotent."""

    def has_key(self, key_id: str) -> bool:
        """True while a usable key exists (False when never created, or erased)."""


class SealError(ValueError):
    """A sealed value is malformed or was tampered with."""


def wrap(master_key: bytes, key_id: str, data_key: bytes) -> bytes:
    """Encrypt a data key under the master key, bound to its key id."""
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT_VERSION + nonce + AESGCM(master_key).encrypt(nonce, data_key, key_id.encode())


def unwrap(master_key: bytes, key_id: str, wrapped: bytes) -> bytes:
    if not wrapped.startswith(FORMAT_VERSION) or len(wrapped) < 1 + NONCE_BYTES + 16:
        raise SealError(f"wrapped key for {key_id} is malformed")
    try:
        return AESGCM(master_key).decrypt(wrapped[1:1 + NONCE_BYTES], wrapped[1 + NONCE_BYTES:], key_id.encode())
    except InvalidTag as exc:
        raise SealError(f"wrapped key for {key_id} does not open with this master key") from exc


class FieldCipher:
    """Seals field values under a key id's data key. ``aad`` binds a value to its place
    (e.g. ``signal:<id>/description``), so a sealed value cannot be moved to another field."""

    def __init__(self, keys: KeyStore) -> None:
        self._keys = keys

    def seal(self, key_id: str, plaintext: str, aad: str) -> bytes:
        return self.seal_bytes(key_id, plaintext.encode(), aad)

    def open(self, key_id: str, sealed: bytes, aad: str) -> str | None:
        """The plaintext, or None when the key was erased (the value is gone for good)."""
        opened = self.open_bytes(key_id, sealed, aad)
        return opened.decode() if opened is not None else None

    def seal_bytes(self, key_id: str, plaintext: bytes, aad: str) -> bytes:
        found = self._keys.data_key(key_id, create=True)
        if found is None:
            raise SealError(f"{key_id} was erased; no new personal data may be stored under it")
        kid, key = found
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT_VERSION + kid + nonce + AESGCM(key).encrypt(nonce, plaintext, f"{key_id}|{aad}".encode())

    def open_bytes(self, key_id: str, sealed: bytes, aad: str) -> bytes | None:
        if not sealed:
            return b""
        if not sealed.startswith(FORMAT_VERSION) or len(sealed) < 1 + KID_BYTES + NONCE_BYTES + 16:
            raise SealError(f"sealed value under {key_id} is malformed")
        kid, body = sealed[1:1 + KID_BYTES], sealed[1 + KID_BYTES:]
        key = self._keys.key_by_kid(key_id, kid)
        if key is None:
            return None
        try:
            return AESGCM(key).decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], f"{key_id}|{aad}".encode())
        except InvalidTag as exc:
            raise SealError(f"sealed value under {key_id} was altered or belongs elsewhere") from exc


class InMemoryKeyStore:
    """For unit tests; held to the same contract as the Kafka key store."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[bytes, bytes]] = {}

    def data_key(self, key_id: str, *, create: bool) -> tuple[bytes, bytes] | None:
        if key_id not in self._keys and create:
            self._keys[key_id] = (os.urandom(KID_BYTES), AESGCM.generate_key(bit_length=256))
        return self._keys.get(key_id)

    def key_by_kid(self, key_id: str, kid: bytes) -> bytes | None:
        found = self._keys.get(key_id)
        return found[1] if found and found[0] == kid else None

    async def erase(self, key_id: str) -> bool:
        return self._keys.pop(key_id, None) is not None

    def has_key(self, key_id: str) -> bool:
        return key_id in self._keys


def signal_key(signal_id: str) -> str:
    """The key id under which a signal's own personal fields (free text, reporter) are sealed."""
    return f"signal:{signal_id}"


def field_aad(signal_id: str, field: str) -> str:
    """Binds a sealed value to its signal and field, e.g. ``<signal id>/description``."""
    return f"{signal_id}/{field}"
