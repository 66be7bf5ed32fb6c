"""The ports referral's handlers need. Every call returns only after the broker acknowledged."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.referral.domain.book import Acknowledgement, DeliveryRecord
from services.referral.domain.feedback import Feedback
from services.referral.domain.package import Referral, ReferralDecision


class ReferralLog(Protocol):
    async def deliver(self, referral: Referral, traceparent: str) -> None:
        """Put the package on the recipient's own stream (`referrals.to.<recipient>`)."""

    async def record_issued(self, referral: Referral, decision: ReferralDecision, traceparent: str) -> None:
        """Record ReferralIssued on `referrals.events`: the sharing that was actually done."""

    async def record_redelivered(self, referral: Referral, at: datetime) -> None:
        """Record ReferralRedelivered (after the copy is on the recipient's stream)."""

    async def record_stuck(self, referral_id: str, record: DeliveryRecord, at: datetime, stuck_after_s: int) -> None:
        """Record ReferralStuck on `referrals.events`."""

    async def record_acknowledged(self, acknowledgement: Acknowledgement) -> None:
        """Record ReferralAcknowledged on `referrals.events`."""

    async def record_feedback(self, feedback: Feedback) -> None:
        """Record FeedbackReported on `referrals.events`."""
