"""The single writer of the audit log.

State (next sequence, chain head, source event ids already logged) is a fold over the stored
log, rebuilt from offset 0. `append` writes an entry for a source event at most once: a crash
or a redelivery never logs a decision twice. It must never skip an entry: when the store
fails, it raises, and the caller retries the same event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Protocol

import structlog

from cloudevents_kafka import Envelope
from knooppunt.audit.v1.events_pb2 import AuditEntry
from prototime import to_timestamp
from services.audit.domain.chain import ChainState
from services.audit.domain.entries import entry_for
from services.audit.domain.register import ProcessingRegister

log = structlog.get_logger(__name__)


class EntryStore(Protocol):
    """The stored log: one ordered sequence of record values."""

    async def write(self, entry: AuditEntry) -> tuple[int, bytes]:
        """Store ``entry`` after every stored value; return (its position, the stored bytes)
        once the store acknowledged. Raise when not acknowledged (it may still be stored)."""
        ...

    def read_all(self) -> AsyncIterator[bytes | None]:
        """Every stored value from position 0 up to the end seen when reading starts."""
        ...


class AuditLog:
    def __init__(self, store: EntryStore, clock: Callable[[], datetime],
                 register: ProcessingRegister | None = None,
                 on_appended: Callable[[], None] | None = None) -> None:
        self._store = store
        self._clock = clock
        self._register = register
        # Called after each stored entry (the checkpointer counts them); must not block.
        self.on_appended = on_appended
        self._lock = asyncio.Lock()
        self.state = ChainState()
        # Position i holds the stored value at i and its entry (None when unreadable).
        self.values: list[bytes | None] = []
        self.entries: list[AuditEntry | None] = []
        self._stale = True

    async def rebuild(self) -> int:
        """Fold the stored log from position 0 into fresh state; return the number of values."""
        async with self._lock:
            await self._rebuild()
        return len(self.values)

    async def _rebuild(self) -> None:
        state, values, entries = ChainState(), [], []
        async for value in self._store.read_all():
            entries.append(state.apply(value))
            values.append(value)
        self.state, self.values, self.entries = state, values, entries
        self._stale = False

    async def append(self, envelope: Envelope) -> AuditEntry | None:
        """Log the entry ``envelope`` gives; None when it gives none or is already logged."""
        draft = entry_for(envelope, self._register)
        if draft is None:
            return None
        # Two agents feed this: sequence and chain head must advance one entry at a time.
        async with self._lock:
            if self._stale:
                # The last write failed without a clear answer, or another writer was seen:
                # only the stored log can say what the next sequence and head are.
                await self._rebuild()
            if envelope.id in self.state:
                return None
            entry = AuditEntry()
            entry.CopyFrom(draft)
            entry.sequence = self.state.next_sequence
            entry.previous_chain_hash = self.state.head.hex()
            entry.recorded_at.CopyFrom(to_timestamp(self._clock()))
            try:
                position, value = await self._store.write(entry)
            except BaseException:
                self._stale = True
                raise
            if position != entry.sequence:
                # Someone else wrote to the log since our rebuild: this entry sits at the wrong
                # position and verify will point at it. Re-read before the next append.
                log.critical("audit_log_second_writer", expected=entry.sequence, position=position)
                self._stale = True
                return entry
            self.state.apply(value)
            self.values.append(value)
            self.entries.append(entry)
        if self.on_appended is not None:
            self.on_appended()
        return entry

