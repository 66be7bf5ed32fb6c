"""Submit a signal: validate, publish, and only then hand out a receipt.

The receipt index maps (source, source_reference) to the original receipt, so retries and
replayed batches get the same answer and produce no second event. It is a projection of
`signals.received`, rebuilt at start-up, so it survives restarts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
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
    """Where accepted signals go. Returns only after the broker acknowledged every one of them;
    raises (PublishUnavailable) when it did not, and then any of them may or may not be stored."""

    async def append_many(self, signals: Sequence[AcceptedSignal]) -> None: ...


class DeadlineExceeded(Exception):
    """The caller's deadline passed before publishing began; nothing was published."""


class ReceiptIndex:
    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], Receipt] = {}
        self._ids: set[str] = set()

    def __len__(self) -> int:
        return len(self._by_key)

    def get(self, source: str, source_reference: str) -> Receipt | None:
        return self._by_key.get((source, source_reference))

    def knows(self, signal_id: str) -> bool:
        return signal_id in self._ids

    def remember(self, receipt: Receipt) -> None:
        # The first receipt wins: a later duplicate event never changes the original answer.
        self._by_key.setdefault((receipt.source, receipt.source_reference), receipt)
        self._ids.add(receipt.signal_id)


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
        # (source, source_reference) -> the receipt of a publication in progress (None if it failed).
        self._inflight: dict[tuple[str, str], asyncio.Future[Receipt | None]] = {}

    async def __call__(
        self, submission: Submission, *, may_publish: Callable[[], bool] = lambda: True
    ) -> Receipt | Refused | Forbidden:
        """Accept a submission once. ``may_publish`` is asked right before publishing: when the
        caller's deadline has passed it answers False and nothing is published (DeadlineExceeded)."""
        return (await self.many([submission], may_publish=may_publish))[0]

    async def many(
        self, submissions: Sequence[Submission], *, may_publish: Callable[[], bool] = lambda: True
    ) -> list[Receipt | Refused | Forbidden]:
        """Accept submissions in order, publishing the new ones together (one round of broker
        acknowledgements). Stops at the first one that is refused or forbidden: the result
        ends with that answer, and nothing after it is published. Raises when publishing
        failed (nothing is acknowledged then) or the deadline passed (nothing was published)."""
        results: list[Receipt | Refused | Forbidden | None] = []
        fresh: list[tuple[int, tuple[str, str], AcceptedSignal]] = []
        waiting: list[tuple[int, Submission, asyncio.Future]] = []
        now = self._clock()
        for submission in submissions:
            source = self._sources.lookup(submission.source)
            if source is None:
                results.append(Forbidden(identity=submission.source))
                break
            key = (submission.source, submission.source_reference)
            if (known := self._index.get(*key)) is not None:
                results.append(known.model_copy(update={"duplicate": True}))
                continue
            # The same signal being published right now (another call, or earlier in this batch):
            # never publish it twice; answer with its receipt once that one is acknowledged.
            if (inflight := self._inflight.get(key)) is not None:
                waiting.append((len(results), submission, inflight))
                results.append(None)
                continue
            result = accept(submission, pseudonym_key=self._key, valid_channels=self._channels,
                            valid_themes=self._themes, now=now)
            if isinstance(result, list):
                results.append(Refused(problems=tuple(result)))
                break
            problems = permission_problems(source, submission.channel, submission.themes, submission.anonymous)
            if problems:
                results.append(Refused(problems=tuple(problems)))
                break
            self._inflight[key] = asyncio.get_running_loop().create_future()
            fresh.append((len(results), key, result))
            results.append(None)
        if fresh:
            for (position, _, _), receipt in zip(fresh, await self._publish(fresh, may_publish), strict=True):
                results[position] = receipt
        for position, submission, inflight in waiting:
            receipt = await asyncio.shield(inflight)
            if receipt is None:  # that publication failed: this one tries again itself
                results[position] = (await self.many([submission], may_publish=may_publish))[0]
            else:
                results[position] = receipt.model_copy(update={"duplicate": True})
        return results

    async def _publish(self, fresh: list[tuple[int, tuple[str, str], AcceptedSignal]],
                       may_publish: Callable[[], bool]) -> list[Receipt]:
        receipts: list[Receipt | None] = [None] * len(fresh)
        try:
            if not may_publish():
                raise DeadlineExceeded(fresh[0][2].source_reference)
            await self._log.append_many([signal for _, _, signal in fresh])
            for i, (_, _, signal) in enumerate(fresh):
                receipts[i] = receipt_for(signal)
                self._index.remember(receipts[i])
            return receipts
        finally:
            # Waiters get the receipt, or None when publishing failed (they then try themselves).
            for (_, key, _), receipt in zip(fresh, receipts, strict=True):
                self._inflight.pop(key).set_result(receipt)


def receipt_for(signal: AcceptedSignal) -> Receipt:
    return Receipt(
        signal_id=signal.signal_id,
        source=signal.source,
        source_reference=signal.source_reference,
        received_at=signal.received_at,
    )
