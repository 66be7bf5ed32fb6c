"""Crypto-shredding with the in-memory key store: sealing, binding, erasure."""

from __future__ import annotations

import pytest

from crypto_shredding import FieldCipher, InMemoryKeyStore, SealError


@pytest.fixture
def cipher() -> tuple[FieldCipher, InMemoryKeyStore]:
    keys = InMemoryKeyStore()
    return FieldCipher(keys), keys


def test_seal_and_open(cipher) -> None:  # noqa: ANN001
    c, _ = cipher
    sealed = c.seal("person:abc", "J. de Vries", "signal:1/person_name")
    assert b"Vries" not in sealed
    assert c.open("person:abc", sealed, "signal:1/person_name") == "J. de Vries"


def test_a_value_cannot_move_to_another_field_or_subject(cipher) -> None:  # noqa: ANN001
    c, _ = cipher
    sealed = c.seal("person:abc", "geheim", "signal:1/description")
    with pytest.raises(SealError):
        c.open("person:abc", sealed, "signal:2/description")
    c.seal("person:xyz", "x", "a")
    assert c.open("person:xyz", sealed, "signal:1/description") is None  # another subject's kid


def test_tampering_is_detected(cipher) -> None:  # noqa: ANN001
    c, _ = cipher
    sealed = bytearray(c.seal("person:abc", "geheim", "f"))
    sealed[-1] ^= 1
    with pytest.raises(SealError):
        c.open("person:abc", bytes(sealed), "f")
    with pytest.raises(SealError):
        c.open("person:abc", b"\x01short", "f")


async def test_erasure_makes_every_value_unreadable_for_good(cipher) -> None:  # noqa: ANN001
    c, keys = cipher
    old = c.seal("person:abc", "oud gegeven", "f")
    assert await keys.erase("person:abc") is True
    assert c.open("person:abc", old, "f") is None
    assert await keys.erase("person:abc") is False  # idempotent
    # New data about the same subject gets a new key; the old value stays unreadable.
    new = c.seal("person:abc", "nieuw", "f")
    assert c.open("person:abc", new, "f") == "nieuw"
    assert c.open("person:abc", old, "f") is None
