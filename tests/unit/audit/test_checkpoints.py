"""Signed checkpoints: format, signature, and what verify concludes from them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit.domain.chain import Problem, verify
from services.audit.domain.checkpoint import (
    Checkpoint,
    CheckpointError,
    Verifier,
    open_note,
    sign,
    verifier_key,
)
from services.audit.domain.merkle import MerkleLog
from tests.unit.audit.factories import chained_log

ORIGIN = "knooppunt.test/audit/v1"
KEY = Ed25519PrivateKey.generate()
VERIFIER = Verifier.parse(verifier_key(ORIGIN, KEY.public_key()))
T = datetime(2026, 3, 2, 10, 0, 0, 123000, tzinfo=UTC)


def note_for(values: list[bytes], size: int | None = None, key: Ed25519PrivateKey = KEY) -> str:
    tree = MerkleLog()
    for v in values:
        tree.append(v)
    size = len(values) if size is None else size
    return sign(Checkpoint(ORIGIN, size, tree.root(size), T), ORIGIN, key)


def test_a_signed_checkpoint_opens_with_the_verifier_key():
    values = chained_log(5)
    note = note_for(values)
    lines = note.split("\n")
    assert lines[0] == ORIGIN and lines[1] == "5" and lines[3].startswith("time 2026-03-02T10:00:00.123")
    assert lines[4] == "" and lines[5].startswith("\u2014 " + ORIGIN + " ")
    cp = open_note(note, VERIFIER)
    assert (cp.tree_size, cp.time) == (5, T)


@pytest.mark.parametrize("mutate", [
    lambda n: n.replace("\n5\n", "\n6\n"),                     # size changed after signing
    lambda n: n[:-6] + ("A" if n[-6] != "A" else "B") + n[-5:],  # signature byte flipped
    lambda n: n.split("\n\n")[0] + "\n\n",                     # signature removed
    lambda n: n + "trailing garbage",                          # trailing garbage
    lambda n: n.replace("\u2014", "-"),                        # malformed signature line
    lambda n: "\xff" + n,                                      # different origin
])
def test_changed_or_malformed_checkpoints_are_rejected(mutate):
    with pytest.raises(CheckpointError):
        open_note(mutate(note_for(chained_log(5))), VERIFIER)


def test_a_checkpoint_signed_by_another_key_is_rejected():
    with pytest.raises(CheckpointError):
        open_note(note_for(chained_log(5), key=Ed25519PrivateKey.generate()), VERIFIER)


def test_verifier_key_with_wrong_id_is_rejected():
    good = verifier_key(ORIGIN, KEY.public_key())
    name, kid, b64 = good.split("+", 2)
    with pytest.raises(CheckpointError):
        Verifier.parse(f"{name}+{'00000000' if kid != '00000000' else '11111111'}+{b64}")
    with pytest.raises(CheckpointError):
        Verifier.parse("garbage")


def test_verify_with_checkpoints_is_ok_on_an_intact_log():
    values = chained_log(10)
    result = verify(values, [note_for(values, 4), note_for(values)], VERIFIER)
    assert result.ok and result.checkpoints_checked == 2 and result.latest_checkpoint.tree_size == 10


def test_truncation_of_the_tail_is_detected_at_the_first_missing_entry():
    values = chained_log(10)
    notes = [note_for(values)]
    result = verify(values[:7], notes, VERIFIER)
    assert (result.ok, result.first_bad_sequence, result.problem) == (False, 7, Problem.TRUNCATED)


def test_a_changed_last_entry_is_caught_by_the_checkpoint():
    values = chained_log(10)
    notes = [note_for(values, 8), note_for(values)]
    values[9] = values[9].replace(b"entry 9", b"entry X")
    result = verify(values, notes, VERIFIER)
    assert (result.first_bad_sequence, result.problem) == (8, Problem.CHECKPOINT_MISMATCH)


def test_a_forged_checkpoint_is_named_by_its_index():
    values = chained_log(10)
    forged = note_for(values, key=Ed25519PrivateKey.generate())
    result = verify(values, [note_for(values, 5), forged], VERIFIER)
    assert not result.ok and result.problem is Problem.CHECKPOINT_SIGNATURE
    assert result.first_bad_checkpoint == 1 and result.first_bad_sequence == -1


def test_without_a_key_checkpoints_are_not_trusted_and_a_warning_says_so():
    values = chained_log(3)
    result = verify(values, [note_for(values, 3)], None)
    assert result.ok and result.warnings
