"""The ports referral's handlers need. Every call returns only after the broker acknowledged."""

from __future__ import annotations

from typing import Protocol

from services.referral.domain.book import Acknowledgement
from services.referral.domain.package import ReferralDecision, Referral


class ReferralLog(Protocol):
    async def deliver(self, referral: Referral, traceparent: str) -> None:
        """Put the package on the recipient's own stream (`referrals.to.<recipient>`)."""

    async def record_issued(self, referral: Referral, decision: ReferralDecision, traceparent: str) -> None:
        """Record ReferralIssued on `referrals.events`: the sharing that was actually done."""

    async def record_acknowledged(self, acknowledgement: Acknowledgement) -> None:
        """Record ReferralAcknowledged on `referrals.events`."""
