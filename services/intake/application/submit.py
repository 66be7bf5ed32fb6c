"""Submit a signal: validate, publish, and only then hand out a receipt.

The receipt index maps (source, source_reference) to the original receipt, so retries and
replayed batches get the same answer and produce no second event. It is a projection of
`signals.received`, rebuilt at start-up, so it survives restarts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from services.intake.domain.signal import AcceptedSignal, Submission, accept
from services.intake.domain.sources import Source, permission_problems
from services.intake.domain.subjects import FieldProblem


class Receipt(BaseModel):
    model_config = ConfigDict(frozen=True)
    signal_id: str
    source: str
    source_reference: str
    received_at: datetime
    duplicate: bool = False


class Refused(BaseModel):
    model_config = ConfigDict(frozen=True)
    problems: tuple[FieldProblem, ...]


class Forbidden(BaseModel):
    """The submitting identity is not a configured source: nothing about the content is said."""

    model_config = ConfigDict(frozen=True)
    identity: str


class SourceDirectory(Protocol):
    """Who may submit what. Today keyed by the `source` field; with mTLS by certificate identity."""

    def lookup(self, identity: str) -> Source | None: ...


class SignalLog(Protocol):
    """Where accepted signals go. `append` returns only after the broker acknowledged."""

    async def append(self, signal: AcceptedSignal) -> None: ...


class DeadlineExceeded(Exception):
    """The caller's deadline passed before publishing began; nothing was published."""


class ReceiptIndex:
    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], Receipt] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    def get(self, source: str, source_reference: str) -> Receipt | None:
        return self._by_key.get((source, source_reference))

    def remember(self, receipt: Receipt) -> None:
        # The first receipt wins: a later duplicate event never changes the original answer.
        self._by_key.setdefault((receipt.source, receipt.source_reference), receipt)


class SubmitSignal:
    def __init__(
        self,
        index: ReceiptIndex,
        log: SignalLog,
        *,
        sources: SourceDirectory,
        pseudonym_key: bytes,
        valid_channels: set[int],
        valid_themes: set[int],
        clock: Callable[[], datetime],
    ) -> None:
        self._index = index
        self._log = log
        self._sources = sources
        self._key = pseudonym_key
        self._channels = valid_channels
        self._themes = valid_themes
        self._clock = clock
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def __call__(
        self, submission: Submission, *, may_publish: Callable[[], bool] = lambda: True
    ) -> Receipt | Refused | Forbidden:
        """Accept a submission once. ``may_publish`` is asked right before publishing: when the
        caller's deadline has passed it answers False and nothing is published (DeadlineExceeded)."""
        source = self._sources.lookup(submission.source)
        if source is None:
            return Forbidden(identity=submission.source)
        key = (submission.source, submission.source_reference)
        if (known := self._index.get(*key)) is not None:
            return known.model_copy(update={"duplicate": True})
        # Two concurrent submissions with the same key must not both publish.
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                if (known := self._index.get(*key)) is not None:
                    return known.model_copy(update={"duplicate": True})
                result = accept(
                    submission,
                    pseudonym_key=self._key,
                    valid_channels=self._channels,
                    valid_themes=self._themes,
                    now=self._clock(),
                )
                if isinstance(result, list):
                    return Refused(problems=tuple(result))
                problems = permission_problems(source, submission.channel, submission.themes, submission.anonymous)
                if problems:
                    return Refused(problems=tuple(problems))
                if not may_publish():
                    raise DeadlineExceeded(submission.source_reference)
                await self._log.append(result)
                receipt = receipt_for(result)
                self._index.remember(receipt)
                return receipt
        finally:
            if not lock.locked():
                self._locks.pop(key, None)


def receipt_for(signal: AcceptedSignal) -> Receipt:
    return Receipt(
        signal_id=signal.signal_id,
        source=signal.source,
        source_reference=signal.source_reference,
        received_at=signal.received_at,
    )
