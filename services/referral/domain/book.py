"""The referral book: which referrals were issued to whom, and which were acknowledged.

A fold over `referrals.events` (`apply_*` is idempotent, so replaying twice changes nothing),
plus the decision what acknowledging a referral produces. It must never publish or read
anything: the application does that around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.referral.domain.package import Actor


class UnknownReferral(LookupError):
    """No referral with this id was issued (or it is not issued yet)."""


class NotAddressedToYou(PermissionError):
    """A partner tried to acknowledge a referral addressed to someone else."""


class Acknowledgement(BaseModel):
    """A recipient confirmed receipt (the ReferralAcknowledged event)."""

    model_config = ConfigDict(frozen=True)
    referral_id: str
    recipient: str
    signal_id: str
    acknowledged_by: Actor
    acknowledged_at: datetime


@dataclass(frozen=True)
class IssuedEntry:
    recipient: str
    signal_id: str


@dataclass
class ReferralBook:
    issued: dict[str, IssuedEntry] = field(default_factory=dict)
    acknowledged: set[str] = field(default_factory=set)

    def apply_issued(self, referral_id: str, recipient: str, signal_id: str) -> None:
        self.issued.setdefault(referral_id, IssuedEntry(recipient, signal_id))

    def apply_acknowledged(self, referral_id: str) -> None:
        self.acknowledged.add(referral_id)


def decide_acknowledgement(
    book: ReferralBook, referral_id: str, recipient: str, by: Actor, now: datetime
) -> Acknowledgement | None:
    """The acknowledgement to record, or None when it was recorded before (harmless repeat)."""
    entry = book.issued.get(referral_id)
    if entry is None:
        raise UnknownReferral(referral_id)
    if entry.recipient != recipient or (by.organisation and by.organisation != recipient):
        raise NotAddressedToYou(referral_id)
    if referral_id in book.acknowledged:
        return None
    return Acknowledgement(
        referral_id=referral_id, recipient=recipient, signal_id=entry.signal_id, acknowledged_by=by, acknowledged_at=now
    )
