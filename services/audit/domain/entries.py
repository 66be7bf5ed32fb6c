"""Which events become audit entries, and what each entry says.

`entry_for` is the whole policy: an LIO decision that shares information, a referral issued,
a referral acknowledged. Everything else is not a sharing decision and gives None.

An entry is immutable and kept forever, so it must never carry free text (reasons, grounds)
or a key that identifies a person or their property directly: only keyed pseudonyms of
persons. Signal id and registration number lead an authorised auditor to the rest.
"""

from __future__ import annotations

import re
import uuid

from cloudevents_kafka import Envelope, EventTypes
from knooppunt.audit.v1.events_pb2 import (
    ENTRY_KIND_LIO_DECISION,
    ENTRY_KIND_REFERRAL_ACKNOWLEDGED,
    ENTRY_KIND_REFERRAL_ISSUED,
    AuditEntry,
)
from knooppunt.lio.v1.events_pb2 import DecisionRecorded
from knooppunt.referral.v1.events_pb2 import ReferralAcknowledged, ReferralIssued
from knooppunt.sharing.v1.sharing_pb2 import Sharing
from knooppunt.signal.v1.signal_pb2 import SUBJECT_KIND_PERSON, SubjectKey

SOURCE_TYPES = EventTypes(DecisionRecorded, ReferralIssued, ReferralAcknowledged)
# Entry ids derive from the source event id: the same source event always names the same entry.
ENTRY_NAMESPACE = uuid.UUID("9c3f5e1a-8b2d-4f70-a6e4-2d1b7c0f9e53")
_PSEUDONYM = re.compile(r"^person:[0-9a-f]{64}$")
_OUTCOMES = {"park": "park", "local_approach": "local approach", "refer_to_riec": "refer to RIEC"}


def entry_id_for(source_event_id: str) -> str:
    return str(uuid.uuid5(ENTRY_NAMESPACE, source_event_id))


def pseudonymous_subjects(subjects) -> list[SubjectKey]:  # noqa: ANN001
    """Only keyed pseudonyms of persons; addresses, plates, KvK numbers stay in the register."""
    return [
        SubjectKey(kind=s.kind, key=s.key)
        for s in subjects
        if s.kind == SUBJECT_KIND_PERSON and _PSEUDONYM.match(s.key)
    ]


def _recipients(sharing: Sharing) -> str:
    return ", ".join(sharing.recipients) or "none named"


def _from_decision(e: DecisionRecorded) -> AuditEntry | None:
    if not e.HasField("sharing"):
        return None  # a decision that provides nothing to anyone is not a sharing decision
    outcome = _OUTCOMES.get(e.WhichOneof("outcome") or "", "decision")
    entry = AuditEntry(
        kind=ENTRY_KIND_LIO_DECISION,
        actor=e.decided_by,
        meeting_id=e.meeting_id,
        signal_id=e.signal_id,
        registration_number=e.registration_number,
        subjects=pseudonymous_subjects(e.subjects),
        sharing=e.sharing,
        summary=f"LIO decision: {outcome} (recipients: {_recipients(e.sharing)})",
    )
    if e.HasField("decided_at"):
        entry.decided_at.CopyFrom(e.decided_at)
    return entry


def _from_issued(e: ReferralIssued) -> AuditEntry:
    r = e.referral
    sharing = Sharing()
    sharing.CopyFrom(e.sharing)
    # The package went to exactly this recipient with exactly these categories, whatever the
    # decision allowed: the entry records what was actually provided.
    if r.recipient:
        sharing.ClearField("recipients")
        sharing.recipients.append(r.recipient)
    if r.data_categories:
        sharing.ClearField("data_categories")
        sharing.data_categories.extend(r.data_categories)
    sharing.legal_basis = sharing.legal_basis or r.legal_basis
    sharing.purpose = sharing.purpose or r.purpose
    entry = AuditEntry(
        kind=ENTRY_KIND_REFERRAL_ISSUED,
        actor=e.decided_by,
        meeting_id=r.meeting_id,
        signal_id=r.signal_id,
        registration_number=r.registration_number,
        subjects=pseudonymous_subjects(r.subjects),
        sharing=sharing,
        referral_id=r.referral_id,
        summary=(
            f"Referral issued to {r.recipient or 'unknown recipient'} "
            f"(categories: {', '.join(sharing.data_categories) or 'none'})"
        ),
    )
    if r.HasField("issued_at"):
        entry.decided_at.CopyFrom(r.issued_at)
    return entry


def _from_acknowledged(e: ReferralAcknowledged) -> AuditEntry:
    entry = AuditEntry(
        kind=ENTRY_KIND_REFERRAL_ACKNOWLEDGED,
        actor=e.acknowledged_by,
        signal_id=e.signal_id,
        # Only the recipient: basis and purpose are on the referral_issued entry it answers.
        sharing=Sharing(recipients=[e.recipient] if e.recipient else []),
        referral_id=e.referral_id,
        summary=f"Referral acknowledged by {e.recipient or 'unknown recipient'}",
    )
    if e.HasField("acknowledged_at"):
        entry.decided_at.CopyFrom(e.acknowledged_at)
    return entry


def entry_for(envelope: Envelope) -> AuditEntry | None:
    """The entry an event gives, without sequence, chain hash or recording time; or None."""
    data = envelope.data
    if isinstance(data, DecisionRecorded):
        entry = _from_decision(data)
    elif isinstance(data, ReferralIssued):
        entry = _from_issued(data)
    elif isinstance(data, ReferralAcknowledged):
        entry = _from_acknowledged(data)
    else:
        return None
    if entry is None:
        return None
    entry.entry_id = entry_id_for(envelope.id)
    entry.source_event_id = envelope.id
    entry.source_event_type = envelope.type
    entry.traceparent = envelope.traceparent
    return entry
