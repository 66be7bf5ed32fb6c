"""Command: a recipient acknowledges a referral. Acknowledging twice records one acknowledgement."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from services.referral.application.ports import ReferralLog
from services.referral.domain.book import ReferralBook, decide_acknowledgement
from services.referral.domain.package import Actor


class AcknowledgeReferral:
    def __init__(self, book: ReferralBook, log: ReferralLog, clock: Callable[[], datetime]) -> None:
        self._book = book
        self._log = log
        self._clock = clock
        # Two concurrent acknowledgements of one referral must not both publish.
        self._lock = asyncio.Lock()

    async def __call__(self, referral_id: str, recipient: str, by: Actor) -> bool:
        """True for the first acknowledgement; raises UnknownReferral / NotAddressedToYou."""
        async with self._lock:
            acknowledgement = decide_acknowledgement(self._book, referral_id, recipient, by, self._clock())
            if acknowledgement is None:
                return False
            # Publish first, then fold: a failed publish leaves the referral unacknowledged, so a retry works.
            await self._log.record_acknowledged(acknowledgement)
            self._book.apply_acknowledged(referral_id)
            return True
