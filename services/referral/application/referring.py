"""Policy: when the LIO decides to refer a signal, issue one minimal referral per recipient.

Per recipient: deliver the package to its topic FIRST, then record ReferralIssued. A crash in
between leaves a delivered but unrecorded referral; the decision is redelivered (its offset
was not committed), the same deterministic referral_id is built, and the recipient dedupes.
The reverse order could record a sharing that never reached anyone, or lose the delivery.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog

from services.referral.application.feed import ReferralFeed
from services.referral.application.ports import ReferralLog
from services.referral.domain.book import ReferralBook
from services.referral.domain.package import Packages, ReferralDecision, build_referrals
from services.referral.domain.policy import Policy

log = structlog.get_logger(__name__)


class IssueReferrals:
    def __init__(
        self,
        book: ReferralBook,
        policy: Policy,
        log_: ReferralLog,
        feed: ReferralFeed,
        clock: Callable[[], datetime],
    ) -> None:
        self._book = book
        self._policy = policy
        self._log = log_
        self._feed = feed
        self._clock = clock

    async def __call__(self, decision: ReferralDecision, traceparent: str) -> Packages:
        packages = build_referrals(decision, self._policy, self._clock())
        for refused in packages.refused:
            # Never delivered; the warning is how an operator learns the LIO named someone the covenant does not.
            log.warning("referral_recipient_refused", decision_id=decision.decision_id,
                        recipient=refused.recipient, reason=refused.reason)
        for referral in packages.referrals:
            if referral.referral_id in self._book.issued:
                continue  # redelivered decision: this recipient already has it
            await self._log.deliver(referral, traceparent)
            await self._log.record_issued(referral, decision, traceparent)
            self._book.apply_issued(referral.referral_id, referral.recipient, referral.signal_id,
                                   referral=referral, issued_at=referral.issued_at)
            self._feed.publish(referral)
            log.info("referral_issued", referral_id=referral.referral_id, recipient=referral.recipient,
                     categories=list(referral.data_categories), omitted=[o.data_category for o in referral.omitted])
        return packages
