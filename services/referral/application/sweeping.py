"""The sweeper: redeliver referrals nobody acknowledged, and report those that got stuck.

Runs periodically (the entrypoint owns the timer; the clock is injected). Per referral it asks
the domain what is due, then performs it in the one safe order: put the copy on the
recipient's stream, then record ReferralRedelivered, then fold it into the book. A crash in
between redelivers the same n-th copy again (same referral_id; recipients dedupe) and records
it once; the event ids are deterministic, so no decision is ever taken twice in the log.
It must never give up on a referral silently: stuck is reported, and redelivery continues
up to the configured maximum.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import structlog

from services.referral.application.feed import ReferralFeed
from services.referral.application.ports import ReferralLog
from services.referral.domain.book import ReferralBook
from services.referral.domain.sweep import Redeliver, ReportStuck, SweepRules, decide_sweep

log = structlog.get_logger(__name__)


class Sweeper:
    def __init__(self, book: ReferralBook, log_: ReferralLog, feed: ReferralFeed, clock: Callable[[], datetime],
                 rules: SweepRules, lock: asyncio.Lock, owns: Callable[[str], bool] | None = None) -> None:
        self._book, self._log, self._feed, self._clock = book, log_, feed, clock
        self._rules, self._lock = rules, lock
        # With several instances each sweeps only the referrals of the signals it owns (by signal id).
        self._owns = owns or (lambda signal_id: True)

    async def sweep(self) -> tuple[int, int]:
        """One pass; returns (redelivered, reported stuck). Raises on a publish failure (retried next pass)."""
        redelivered = stuck = 0
        for referral_id in [rid for rid, r in self._book.issued.items()
                            if r.acknowledged_at is None and self._owns(r.signal_id)]:
            async with self._lock:  # decided and done under the lock: an acknowledgement may have come in
                record = self._book.issued[referral_id]
                now = self._clock()
                for step in decide_sweep(record, now, self._rules):
                    if isinstance(step, ReportStuck):
                        await self._log.record_stuck(referral_id, record, now, int(self._rules.stuck_after.total_seconds()))
                        self._book.apply_stuck(referral_id, now)
                        stuck += 1
                        # Error level: someone must call the partner. Ids and times only, no content.
                        log.error("referral_stuck", referral_id=referral_id, recipient=record.recipient,
                                  issued_at=record.issued_at.isoformat(), redeliveries=record.redeliveries)
                    elif isinstance(step, Redeliver):
                        copy = record.referral.model_copy(update={"redelivery": step.redelivery})
                        await self._log.deliver(copy, "")
                        await self._log.record_redelivered(copy, now)
                        self._book.apply_redelivered(referral_id, step.redelivery, now)
                        self._feed.publish(copy)
                        redelivered += 1
                        log.warning("referral_redelivered", referral_id=referral_id, recipient=record.recipient,
                                    redelivery=step.redelivery)
        return redelivered, stuck
