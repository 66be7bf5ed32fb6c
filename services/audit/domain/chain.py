"""The hash chain over the audit log, and its verification.

chain_0 = 32 zero bytes; chain_i = SHA-256(chain_{i-1} || value_i), where value_i are the
exact bytes of the i-th Kafka record value on `audit.log` (position i, from 0). Entry i
carries hex(chain_{i-1}) as `previous_chain_hash` and i as `sequence`.

This module must never re-serialise an entry to hash it: only the stored bytes count, so
that verification checks what is on the topic, not what protobuf would write today.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from google.protobuf.message import DecodeError

from knooppunt.audit.v1.events_pb2 import AuditEntry

GENESIS = bytes(32)


def chain_next(prev: bytes, value: bytes) -> bytes:
    """The chain value after appending ``value`` to a log whose chain value is ``prev``."""
    return hashlib.sha256(prev + value).digest()


def parse_entry(value: bytes | None) -> AuditEntry | None:
    """The stored entry, or None when the bytes are not an AuditEntry."""
    if value is None:
        return None  # a record without a value (tombstone) is never something we wrote
    entry = AuditEntry()
    try:
        entry.ParseFromString(value)
    except DecodeError:
        return None
    return entry


class Problem(str, Enum):
    PREVIOUS_HASH = "previous_hash"
    SEQUENCE_GAP = "sequence_gap"
    SEQUENCE_REPEAT = "sequence_repeat"
    UNPARSEABLE = "unparseable"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries_checked: int
    head: bytes
    first_bad_sequence: int = -1
    problem: Problem | None = None
    detail: str = ""

    @property
    def head_hex(self) -> str:
        return self.head.hex()


def _check(position: int, entry: AuditEntry | None, prev: bytes) -> tuple[Problem, str] | None:
    if entry is None:
        return Problem.UNPARSEABLE, "the stored bytes are not an AuditEntry"
    # Sequence before hash: a wrong sequence says more precisely what happened (gap, repeat).
    if entry.sequence > position:
        return Problem.SEQUENCE_GAP, (
            f"sequence {entry.sequence} where {position} was expected: "
            "an entry before this one was removed, or entries were reordered"
        )
    if entry.sequence < position:
        return Problem.SEQUENCE_REPEAT, (
            f"sequence {entry.sequence} where {position} was expected: "
            "an entry was repeated, reordered or inserted before this one"
        )
    if entry.previous_chain_hash != prev.hex():
        # A chain notices a change only at the next link: entry position-1 may have been changed,
        # or an entry was removed or inserted before this one.
        return Problem.PREVIOUS_HASH, (
            "previous_chain_hash does not match the entries before it: "
            "an entry before this one was changed, removed or inserted"
        )
    return None


def verify(values: Iterable[bytes | None]) -> VerifyResult:
    """Check the whole chain; report the first position whose entry is inconsistent.

    The head is computed over every stored value, also after a problem, so that an auditor
    can compare it with a head recorded earlier.
    """
    head = GENESIS
    count = 0
    first: tuple[int, Problem, str] | None = None
    for position, value in enumerate(values):
        if first is None and (found := _check(position, parse_entry(value), head)) is not None:
            first = (position, *found)
        head = chain_next(head, value or b"")
        count = position + 1
    if first is None:
        return VerifyResult(ok=True, entries_checked=count, head=head)
    return VerifyResult(
        ok=False, entries_checked=count, head=head, first_bad_sequence=first[0], problem=first[1], detail=first[2]
    )


@dataclass
class ChainState:
    """What the single writer needs to append: next sequence, chain head, ids already logged.

    A fold over stored values; folding the same log twice gives the same state.
    """

    next_sequence: int = 0
    head: bytes = GENESIS
    source_event_ids: set[str] = field(default_factory=set)

    def apply(self, value: bytes | None) -> AuditEntry | None:
        """Fold one stored value (position ``next_sequence``); return it parsed, if it parses."""
        entry = parse_entry(value)
        if entry is not None and entry.source_event_id:
            self.source_event_ids.add(entry.source_event_id)
        # Every stored record takes a position and enters the chain, readable or not: the
        # verifier counts positions the same way, so new entries stay consistent with it.
        self.head = chain_next(self.head, value or b"")
        self.next_sequence += 1
        return entry

    def __contains__(self, source_event_id: str) -> bool:
        return source_event_id in self.source_event_ids
