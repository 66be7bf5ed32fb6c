"""The hash chain and its verifier: a valid log passes; each kind of tampering is named."""

from __future__ import annotations

import hashlib

from knooppunt.audit.v1.events_pb2 import AuditEntry
from services.audit.domain.chain import GENESIS, ChainState, Problem, chain_next, verify
from tests.unit.audit.factories import chained_log


def test_chain_next_is_sha256_of_previous_then_value():
    assert chain_next(GENESIS, b"abc") == hashlib.sha256(bytes(32) + b"abc").digest()


def test_empty_log_is_ok_with_the_genesis_head():
    result = verify([])
    assert result.ok and result.entries_checked == 0 and result.head == bytes(32)


def test_valid_log_is_ok_and_its_head_covers_every_stored_byte():
    values = chained_log(10)
    head = GENESIS
    for v in values:
        head = chain_next(head, v)
    result = verify(values)
    assert result.ok and result.entries_checked == 10 and result.head == head
    assert result.first_bad_sequence == -1


def test_a_changed_byte_in_entry_3_is_named_at_entry_3():
    values = chained_log(10)
    # Change the summary text of entry 3 ("entry 3" -> "entry 4"): still a readable entry with
    # the right sequence and previous hash, so only the next link can notice it.
    values[3] = values[3].replace(b"entry 3", b"entry 4")
    assert AuditEntry.FromString(values[3]).sequence == 3
    result = verify(values)
    assert not result.ok
    # The chain notices at entry 4; entry 5 confirms that entry 4 itself is intact.
    assert result.first_bad_sequence == 3 and result.problem is Problem.CHANGED
    assert "entry 3 was changed" in result.detail


def test_a_removed_entry_shows_where_it_is_missing():
    values = chained_log(10)
    del values[5]
    result = verify(values)
    assert (result.first_bad_sequence, result.problem) == (5, Problem.REMOVED)


def test_two_swapped_entries_show_at_the_first_of_them():
    values = chained_log(10)
    values[3], values[6] = values[6], values[3]
    result = verify(values)
    assert (result.first_bad_sequence, result.problem) == (3, Problem.REORDERED)


def test_a_copied_entry_inserted_shows_where_it_was_inserted():
    values = chained_log(10)
    values.insert(5, values[2])
    result = verify(values)
    assert (result.first_bad_sequence, result.problem) == (5, Problem.REPLAYED)


def test_a_well_forged_insertion_is_named_where_it_was_inserted():
    values = chained_log(10)
    head = GENESIS
    for v in values[:5]:
        head = chain_next(head, v)
    # The forger knows the chain: right sequence, right previous hash. The entry that used to
    # be 5 now sits at 6 with sequence 5 and links where the forged one links: 5 was inserted.
    forged = AuditEntry(sequence=5, entry_id="forged", previous_chain_hash=head.hex()).SerializeToString()
    values.insert(5, forged)
    result = verify(values)
    assert (result.first_bad_sequence, result.problem) == (5, Problem.INSERTED)


def test_a_changed_previous_hash_is_named_at_that_entry():
    values = chained_log(10)
    entry = AuditEntry.FromString(values[7])
    entry.previous_chain_hash = "00" * 32
    values[7] = entry.SerializeToString(deterministic=True)
    result = verify(values)
    assert (result.first_bad_sequence, result.problem) == (7, Problem.CHANGED)


def test_unparseable_bytes_are_named():
    values = chained_log(10)
    values[2] = b"\xff\xff\xff"
    result = verify(values)
    assert (result.first_bad_sequence, result.problem) == (2, Problem.UNPARSEABLE)
    assert result.entries_checked == 10  # the head still covers every stored value


def test_a_record_without_value_is_unparseable():
    values: list[bytes | None] = list(chained_log(3))
    values[1] = None
    assert verify(values).first_bad_sequence == 1


def test_chain_state_folds_to_the_verifier_s_head_and_knows_logged_sources():
    values = chained_log(4)
    state = ChainState()
    for v in values:
        state.apply(v)
    assert state.next_sequence == 4 and state.head == verify(values).head
    assert "src-2" in state and "src-9" not in state


def test_an_old_entry_replayed_at_the_end_is_named():
    values = chained_log(10)
    values.append(values[4])
    result = verify(values)
    assert (result.first_bad_sequence, result.problem) == (10, Problem.REPLAYED)


def test_a_changed_last_entry_needs_a_checkpoint():
    values = chained_log(10)
    values[9] = values[9].replace(b"entry 9", b"entry X")
    # Nothing follows entry 9: the chain alone cannot notice (ADR 0003); checkpoints can.
    assert verify(values).ok
