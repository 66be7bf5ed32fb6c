"""Signed checkpoints of the log, published every N entries or T seconds.

A checkpoint is signed only over the writer's own state (size and root of the stored log), and
never when that state contradicts the latest checkpoint already published: a writer that finds
a shorter or different log than it signed before must not bless it (that would hide truncation).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.audit.application.writer import AuditLog
from services.audit.domain.checkpoint import Checkpoint, parse_body, sign

log = structlog.get_logger(__name__)


class CheckpointSink(Protocol):
    async def publish(self, checkpoint: Checkpoint, note: str) -> None: ...

    def latest(self) -> str | None:
        """The latest note this sink holds (for the start-up check), if it can tell."""
        ...


class Checkpointer:
    def __init__(self, audit: AuditLog, key: Ed25519PrivateKey, origin: str, sinks: list[CheckpointSink],
                 clock: Callable[[], datetime], every: int = 100, interval_s: float = 30.0) -> None:
        self._audit = audit
        self._key = key
        self._origin = origin
        self._sinks = sinks
        self._clock = clock
        self._every = max(1, every)
        self._interval = interval_s
        self.signed_size = -1
        self.latest_note: str | None = None
        self.refused: str | None = None
        self._last_at = time.monotonic()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    def check_against_published(self) -> None:
        """Refuse to sign when the log is shorter than, or differs from, the last checkpoint."""
        tree = self._audit.state.tree
        for sink in self._sinks:
            note = sink.latest()
            if not note:
                continue
            try:
                body = note.encode().split(b"\n\n", 1)[0] + b"\n"
                cp = parse_body(body)
            except ValueError:
                continue
            if cp.tree_size > tree.size or tree.root(cp.tree_size) != cp.root_hash:
                self.refused = (f"the stored log ({tree.size} entries) does not extend the last signed "
                                f"checkpoint ({cp.tree_size} entries): truncated or rewritten")
                log.critical("audit_checkpoint_refused", reason=self.refused)
                return
            if cp.tree_size > self.signed_size:
                self.signed_size, self.latest_note = cp.tree_size, note

    def entry_appended(self) -> None:
        if self._audit.state.tree.size - max(self.signed_size, 0) >= self._every:
            self._wake.set()

    async def checkpoint(self, force: bool = False) -> str | None:
        """Sign and publish a checkpoint if the log grew (or ``force``); return the note."""
        async with self._lock:
            if self.refused:
                return None
            tree = self._audit.state.tree
            # Size and root are read without an await in between: one consistent snapshot.
            size, root = tree.size, tree.root()
            if size == self.signed_size and not force:
                return None
            cp = Checkpoint(self._origin, size, root, self._clock())
            note = sign(cp, self._origin, self._key)
            for sink in self._sinks:
                await sink.publish(cp, note)
            self.signed_size, self.latest_note = size, note
            self._last_at = time.monotonic()
            log.info("audit_checkpoint_published", tree_size=size, root=root.hex())
            return note

    async def run(self) -> None:
        """Publish on N new entries or T seconds after growth; retries on failure."""
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval)
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self.checkpoint()
            except Exception:  # noqa: BLE001 - keep trying; the log itself is unaffected
                log.exception("audit_checkpoint_failed")
                await asyncio.sleep(1.0)
