"""The hash chain over the audit log, and verification of the whole log (chain, tree, checkpoints).

chain_0 = 32 zero bytes; chain_i = SHA-256(chain_{i-1} || value_i), where value_i are the
exact bytes of the i-th Kafka record value on `audit.log` (position i, from 0). Entry i
carries hex(chain_{i-1}) as `previous_chain_hash` and i as `sequence`.

This module must never re-serialise an entry to hash it: only the stored bytes count, so
that verification checks what is on the topic, not what protobuf would write today.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from google.protobuf.message import DecodeError

from knooppunt.audit.v1.events_pb2 import AuditEntry
from services.audit.domain.checkpoint import Checkpoint, CheckpointError, Verifier, open_note
from services.audit.domain.merkle import EMPTY_ROOT, MerkleLog

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
    """The kind of damage, as an auditor would name it."""

    UNPARSEABLE = "unparseable"
    CHANGED = "changed"
    REMOVED = "removed"
    REORDERED = "reordered"
    INSERTED = "inserted"
    REPLAYED = "replayed"
    TRUNCATED = "truncated"
    CHECKPOINT_SIGNATURE = "checkpoint_signature"
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries_checked: int
    head: bytes
    root: bytes = EMPTY_ROOT
    first_bad_sequence: int = -1
    problem: Problem | None = None
    detail: str = ""
    checkpoints_checked: int = 0
    latest_checkpoint: Checkpoint | None = None
    # Index (in the order given) of the first checkpoint that is forged or malformed, or -1.
    first_bad_checkpoint: int = -1
    warnings: tuple[str, ...] = ()

    @property
    def head_hex(self) -> str:
        return self.head.hex()


def _chain_problem(values: list[bytes], entries: list[AuditEntry | None], heads: list[bytes]
                   ) -> tuple[int, Problem, str] | None:
    """The first damaged position by the hash chain and the sequence numbers, or None.

    heads[i] is the chain value over values[:i]. Where the chain alone cannot tell which of two
    neighbours was damaged, the entries after it decide (see ADR 0003, "Locating the damage").
    """
    n = len(values)
    for p, entry in enumerate(entries):
        if entry is None:
            return p, Problem.UNPARSEABLE, "the stored bytes are not an AuditEntry"
        s = entry.sequence
        if s > p:
            if any(e is not None and e.sequence == p for e in entries[p + 1:]):
                return p, Problem.REORDERED, (
                    f"entry with sequence {s} at position {p}: entries were reordered (sequence {p} comes later)")
            return p, Problem.REMOVED, f"sequence {s} at position {p}: entries {p}..{s - 1} were removed"
        if s < p:
            if s >= 0 and values[p] == values[s]:
                return p, Problem.REPLAYED, f"a copy of entry {s} was replayed at position {p}"
            if s >= 0 and entry.previous_chain_hash == heads[s].hex():
                # Entry p links where entry s links: it is the genuine entry s, and the entries
                # between were inserted in front of it.
                return s, Problem.INSERTED, (
                    f"{p - s} entr{'y' if p - s == 1 else 'ies'} inserted at position {s}"
                    f" (the genuine entry {s} now sits at {p})")
            return p, Problem.INSERTED, f"an entry claiming sequence {s} was inserted at position {p}"
        if entry.previous_chain_hash != heads[p].hex():
            if p == 0:
                return 0, Problem.CHANGED, "the first entry does not start the chain"
            # Either entry p-1's bytes changed, or entry p's link did. Trust entry p's link and
            # see whether entry p+1 agrees: then entry p is intact and p-1 changed.
            claimed = entry.previous_chain_hash
            nxt = entries[p + 1] if p + 1 < n else None
            if len(claimed) == 64 and nxt is not None:
                try:
                    relinked = chain_next(bytes.fromhex(claimed), values[p]).hex()
                except ValueError:
                    relinked = ""
                if nxt.previous_chain_hash != relinked:
                    return p, Problem.CHANGED, f"entry {p} was changed (its link to entry {p - 1} is wrong)"
            return p - 1, Problem.CHANGED, (
                f"entry {p - 1} was changed: its stored bytes do not match the chain recorded in entry {p}")
    return None


def verify(values: Iterable[bytes | None], checkpoints: Sequence[str | bytes] = (),
           verifier: Verifier | None = None) -> VerifyResult:
    """Check chain, sequence numbers, Merkle tree and signed checkpoints; name the first damage.

    The head and root are computed over every stored value, also after a problem, so that an
    auditor can compare them with values recorded earlier.
    """
    raw = list(values)
    entries = [parse_entry(v) for v in raw]
    stored = [v or b"" for v in raw]
    heads = [GENESIS]
    tree = MerkleLog()
    for v in stored:
        heads.append(chain_next(heads[-1], v))
        tree.append(v)
    n = len(stored)
    root = tree.root()
    found = _chain_problem(stored, entries, heads)
    first_bad_cp = -1
    cp_problem: tuple[int, Problem, str] | None = None
    latest: Checkpoint | None = None
    warnings: list[str] = []
    opened: list[tuple[int, Checkpoint]] = []
    if checkpoints and verifier is None:
        warnings.append("checkpoints not checked: no public key given")
    elif verifier is not None:
        for i, note in enumerate(checkpoints):
            try:
                cp = open_note(note, verifier)
            except CheckpointError as exc:
                if first_bad_cp < 0:
                    first_bad_cp = i
                    cp_problem = (-1, Problem.CHECKPOINT_SIGNATURE, f"checkpoint {i}: {exc}")
                continue
            opened.append((i, cp))
            if latest is None or cp.tree_size >= latest.tree_size:
                latest = cp
        if not opened:
            warnings.append("no valid signed checkpoint: truncation of the tail cannot be detected")
    # Compare the log with every valid checkpoint, smallest first.
    good_size = 0
    for i, cp in sorted(opened, key=lambda x: x[1].tree_size):
        if cp.tree_size > n:
            cp_problem = cp_problem or (n, Problem.TRUNCATED, (
                f"checkpoint {i} signed a tree of {cp.tree_size} entries, the log holds {n}: "
                f"entries {n}..{cp.tree_size - 1} are missing (tail truncated)"))
            break
        if tree.root(cp.tree_size) != cp.root_hash:
            cp_problem = cp_problem or (good_size, Problem.CHECKPOINT_MISMATCH, (
                f"checkpoint {i} signed a different tree of {cp.tree_size} entries: an entry in "
                f"{good_size}..{cp.tree_size - 1} differs from what was signed"))
            break
        good_size = cp.tree_size
    problem = found or cp_problem
    return VerifyResult(
        ok=problem is None,
        entries_checked=n,
        head=heads[-1],
        root=root,
        first_bad_sequence=problem[0] if problem else -1,
        problem=problem[1] if problem else None,
        detail=problem[2] if problem else "",
        checkpoints_checked=len(opened) + (1 if first_bad_cp >= 0 else 0),
        latest_checkpoint=latest,
        first_bad_checkpoint=first_bad_cp,
        warnings=tuple(warnings),
    )


@dataclass
class ChainState:
    """What the single writer needs to append: next sequence, chain head, ids already logged.

    A fold over stored values; folding the same log twice gives the same state.
    """

    next_sequence: int = 0
    head: bytes = GENESIS
    source_event_ids: set[str] = field(default_factory=set)
    tree: MerkleLog = field(default_factory=MerkleLog)

    def apply(self, value: bytes | None) -> AuditEntry | None:
        """Fold one stored value (position ``next_sequence``); return it parsed, if it parses."""
        entry = parse_entry(value)
        if entry is not None and entry.source_event_id:
            self.source_event_ids.add(entry.source_event_id)
        # Every stored record takes a position and enters the chain, readable or not: the
        # verifier counts positions the same way, so new entries stay consistent with it.
        self.head = chain_next(self.head, value or b"")
        self.tree.append(value or b"")
        self.next_sequence += 1
        return entry

    def __contains__(self, source_event_id: str) -> bool:
        return source_event_id in self.source_event_ids
