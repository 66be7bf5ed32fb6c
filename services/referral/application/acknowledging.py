"""Commands of a recipient: acknowledge a referral, report feedback. Each recorded once.

Both take the book's lock, shared with the sweeper, so a decision and its fold into the book
are never interleaved with another decision about the same book.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from services.referral.application.ports import ReferralLog
from services.referral.domain.book import ReferralBook, decide_acknowledgement
from services.referral.domain.feedback import decide_feedback
from services.referral.domain.package import Actor


class AcknowledgeReferral:
    def __init__(self, book: ReferralBook, log: ReferralLog, clock: Callable[[], datetime],
                 lock: asyncio.Lock | None = None) -> None:
        self._book = book
        self._log = log
        self._clock = clock
        # Two concurrent acknowledgements of one referral must not both publish.
        self._lock = lock or asyncio.Lock()

    async def __call__(self, referral_id: str, recipient: str, by: Actor) -> bool:
        """True for the first acknowledgement; raises UnknownReferral / NotAddressedToYou."""
        async with self._lock:
            acknowledgement = decide_acknowledgement(self._book, referral_id, recipient, by, self._clock())
            if acknowledgement is None:
                return False
            # Publish first, then fold: a failed publish leaves the referral unacknowledged, so a retry works.
            await self._log.record_acknowledged(acknowledgement)
            self._book.apply_acknowledged(referral_id, acknowledgement.acknowledged_at)
            return True


class ReportFeedback:
    def __init__(self, book: ReferralBook, log: ReferralLog, clock: Callable[[], datetime],
                 lock: asyncio.Lock | None = None) -> None:
        self._book = book
        self._log = log
        self._clock = clock
        self._lock = lock or asyncio.Lock()

    async def __call__(self, referral_id: str, recipient: str, outcome: int, by: Actor, note: str) -> bool:
        """True when recorded; False for a repeat of the current outcome. Raises the domain's refusals."""
        async with self._lock:
            feedback = decide_feedback(self._book, referral_id, recipient, outcome, by, note, self._clock())
            if feedback is None:
                return False
            await self._log.record_feedback(feedback)
            self._book.apply_feedback(referral_id, int(feedback.outcome))
            return True
