"""The referral book: each referral's delivery record, folded from `referrals.events`.

A delivery moves through explicit states (see `DeliveryState`); every `apply_*` is idempotent,
so replaying the topic twice, or a duplicate event, changes nothing. The `decide_*` functions
say what a command produces. This module must never publish or read anything: the
application does that around it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.referral.domain.package import Actor, Referral


class UnknownReferral(LookupError):
    """No referral with this id was issued (or it is not issued yet)."""


class NotAddressedToYou(PermissionError):
    """A partner tried to act on a referral addressed to someone else."""


class DeliveryState(enum.StrEnum):
    # ReferralIssued is recorded only after the package is on the recipient's topic (ADR 0004),
    # so "issued" and "delivered" are one state: there is no recorded referral that is not delivered.
    DELIVERED = "delivered"
    # Not acknowledged within the configured time; still redelivered, until acknowledged.
    STUCK = "stuck"
    ACKNOWLEDGED = "acknowledged"
    FEEDBACK_REPORTED = "feedback_reported"


class Acknowledgement(BaseModel):
    """A recipient confirmed receipt (the ReferralAcknowledged event)."""

    model_config = ConfigDict(frozen=True)
    referral_id: str
    recipient: str
    signal_id: str
    acknowledged_by: Actor
    acknowledged_at: datetime


@dataclass
class DeliveryRecord:
    """What the service knows about one referral it issued. No content beyond the package itself."""

    recipient: str
    signal_id: str
    issued_at: datetime | None = None
    # The package, kept only until acknowledged: the sweeper needs it to redeliver.
    referral: Referral | None = None
    last_delivered_at: datetime | None = None
    redeliveries: int = 0
    stuck_since: datetime | None = None
    acknowledged_at: datetime | None = None
    # Every outcome reported, in order (FeedbackOutcome numbers); the last one is current.
    outcomes: list[int] = field(default_factory=list)

    @property
    def state(self) -> DeliveryState:
        if self.outcomes:
            return DeliveryState.FEEDBACK_REPORTED
        if self.acknowledged_at is not None:
            return DeliveryState.ACKNOWLEDGED
        if self.stuck_since is not None:
            return DeliveryState.STUCK
        return DeliveryState.DELIVERED


@dataclass
class ReferralBook:
    issued: dict[str, DeliveryRecord] = field(default_factory=dict)
    acknowledged: set[str] = field(default_factory=set)

    def apply_issued(self, referral_id: str, recipient: str, signal_id: str, *,
                     referral: Referral | None = None, issued_at: datetime | None = None) -> None:
        if referral_id in self.issued:
            return  # a later conflicting record never rewrites history
        acked = referral_id in self.acknowledged
        self.issued[referral_id] = DeliveryRecord(
            recipient, signal_id, issued_at=issued_at, referral=None if acked else referral, last_delivered_at=issued_at
        )

    def apply_redelivered(self, referral_id: str, redelivery: int, at: datetime) -> None:
        record = self.issued.get(referral_id)
        if record is not None and redelivery > record.redeliveries:
            record.redeliveries, record.last_delivered_at = redelivery, at

    def apply_stuck(self, referral_id: str, at: datetime) -> None:
        record = self.issued.get(referral_id)
        if record is not None and record.stuck_since is None:
            record.stuck_since = at

    def apply_acknowledged(self, referral_id: str, at: datetime | None = None) -> None:
        self.acknowledged.add(referral_id)
        record = self.issued.get(referral_id)
        if record is not None and record.acknowledged_at is None:
            record.acknowledged_at = at or record.issued_at or datetime.min
            record.referral = None  # delivered and confirmed: no reason to hold the package any longer

    def apply_feedback(self, referral_id: str, outcome: int) -> None:
        record = self.issued.get(referral_id)
        if record is not None and (not record.outcomes or record.outcomes[-1] != outcome):
            record.outcomes.append(outcome)

    def stuck(self, recipient: str = "") -> list[tuple[str, DeliveryRecord]]:
        """Referrals reported stuck and still not acknowledged, oldest first."""
        found = [(rid, r) for rid, r in self.issued.items()
                 if r.state is DeliveryState.STUCK and (not recipient or r.recipient == recipient)]
        return sorted(found, key=lambda item: (item[1].stuck_since, item[0]))


def addressed_record(book: ReferralBook, referral_id: str, recipient: str, by: Actor) -> DeliveryRecord:
    """The record, when ``recipient`` (acting as ``by``) may act on it; raises otherwise."""
    record = book.issued.get(referral_id)
    if record is None:
        raise UnknownReferral(referral_id)
    if record.recipient != recipient or (by.organisation and by.organisation != recipient):
        raise NotAddressedToYou(referral_id)
    return record


def decide_acknowledgement(
    book: ReferralBook, referral_id: str, recipient: str, by: Actor, now: datetime
) -> Acknowledgement | None:
    """The acknowledgement to record, or None when it was recorded before (harmless repeat)."""
    record = addressed_record(book, referral_id, recipient, by)
    if referral_id in book.acknowledged:
        return None
    return Acknowledgement(
        referral_id=referral_id, recipient=recipient, signal_id=record.signal_id, acknowledged_by=by, acknowledged_at=now
    )
