"""Building minimal referral packages from a referral decision of the LIO.

One package per recipient, holding only what both the decision proposed and the policy
allows; everything else that was proposed or present is listed in `omitted` with its reason,
so that the recipient and the auditor see what was withheld (not its content). This module
must never fill a field the policy does not allow, and never invent a recipient.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.referral.domain.policy import SUBJECT_CATEGORIES, Policy

# Fixed forever: referral ids derived from it must stay the same across releases and replays.
REFERRAL_NAMESPACE = uuid.UUID("8f3c2a71-5d0e-4b6a-9e14-2c7d8b0f4a63")


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True)
    person_id: str = ""
    role: str = ""
    organisation: str = ""


class Subject(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: str  # address | company | person | vehicle | vessel
    key: str


class ReferralDecision(BaseModel):
    """The parts of a DecisionRecorded with outcome refer_to_riec that a referral needs."""

    model_config = ConfigDict(frozen=True)
    decision_id: str
    meeting_id: str
    signal_id: str
    registration_number: str
    grounds: str
    decided_by: Actor
    themes: tuple[int, ...]
    subjects: tuple[Subject, ...]
    legal_basis: str
    purpose: str
    recipients: tuple[str, ...]
    data_categories: tuple[str, ...]
    retention_rule: str


class Omission(BaseModel):
    model_config = ConfigDict(frozen=True)
    data_category: str
    reason: str


class Referral(BaseModel):
    model_config = ConfigDict(frozen=True)
    referral_id: str
    recipient: str
    decision_id: str
    meeting_id: str
    signal_id: str
    issued_at: datetime
    purpose: str
    legal_basis: str
    registration_number: str = ""
    grounds: str = ""
    themes: tuple[int, ...] = ()
    subjects: tuple[Subject, ...] = ()
    # The categories actually included; the audit log records exactly these.
    data_categories: tuple[str, ...] = ()
    omitted: tuple[Omission, ...] = ()
    # 0 on the first delivery, n on the sweeper's n-th redelivery; the content never changes.
    redelivery: int = 0


class RefusedRecipient(BaseModel):
    """A recipient the decision named but the policy grants nothing: it gets no referral."""

    model_config = ConfigDict(frozen=True)
    recipient: str
    reason: str


class Packages(BaseModel):
    model_config = ConfigDict(frozen=True)
    referrals: tuple[Referral, ...]
    refused: tuple[RefusedRecipient, ...]


def referral_id_for(decision_id: str, recipient: str) -> str:
    """Deterministic: a redelivered decision yields the same id, so recipients can dedupe."""
    return str(uuid.uuid5(REFERRAL_NAMESPACE, f"{decision_id}\x1f{recipient}"))


def build_referrals(decision: ReferralDecision, policy: Policy, now: datetime) -> Packages:
    referrals: list[Referral] = []
    refused: list[RefusedRecipient] = []
    for recipient in dict.fromkeys(decision.recipients):  # keeps order, drops repeats
        allowed = policy.allowed(recipient, decision.purpose)
        if allowed is None:
            refused.append(
                RefusedRecipient(
                    recipient=recipient,
                    reason=f"no grant for {recipient} for purpose {decision.purpose} in policy {policy.version}",
                )
            )
            continue
        referrals.append(_package(decision, recipient, allowed, now))
    return Packages(referrals=tuple(referrals), refused=tuple(refused))


def _package(decision: ReferralDecision, recipient: str, allowed: frozenset[str], now: datetime) -> Referral:
    proposed = set(decision.data_categories)
    share = proposed & allowed
    present = {SUBJECT_CATEGORIES[s.kind] for s in decision.subjects if s.kind in SUBJECT_CATEGORIES}
    omitted: dict[str, str] = {}
    for category in (proposed | present) - allowed:
        omitted[category] = f"not allowed for {recipient} for purpose {decision.purpose} by policy"
    # A subject the decision did not propose to share is withheld even when the policy would allow it:
    # the policy is a ceiling, the decision is what was actually decided.
    for category in (present & allowed) - proposed:
        omitted[category] = f"not proposed by decision {decision.decision_id}"
    # Only categories that were shared *and* had data count as included: that is what went out.
    fields: dict = {}
    signal_values = {
        "signal.registration_number": ("registration_number", decision.registration_number),
        "signal.grounds": ("grounds", decision.grounds),
        "signal.themes": ("themes", decision.themes),
    }
    for category, (name, value) in signal_values.items():
        if category in share and value:
            fields[name] = value
    subjects = tuple(s for s in decision.subjects if SUBJECT_CATEGORIES.get(s.kind) in share)
    if subjects:
        fields["subjects"] = subjects
    included = sorted(
        {c for c in signal_values if signal_values[c][0] in fields}
        | {SUBJECT_CATEGORIES[s.kind] for s in subjects}
    )
    return Referral(
        referral_id=referral_id_for(decision.decision_id, recipient),
        recipient=recipient,
        decision_id=decision.decision_id,
        meeting_id=decision.meeting_id,
        signal_id=decision.signal_id,
        issued_at=now,
        purpose=decision.purpose,
        legal_basis=decision.legal_basis,
        data_categories=tuple(included),
        omitted=tuple(Omission(data_category=c, reason=r) for c, r in sorted(omitted.items())),
        **fields,
    )
