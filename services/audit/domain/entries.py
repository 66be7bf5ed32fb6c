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
    ENTRY_KIND_DATA_ERASED,
    ENTRY_KIND_FEEDBACK_REPORTED,
    ENTRY_KIND_LIO_DECISION,
    ENTRY_KIND_PERSONAL_DATA_READ,
    ENTRY_KIND_REFERRAL_ACKNOWLEDGED,
    ENTRY_KIND_REFERRAL_ISSUED,
    ENTRY_KIND_SUBJECT_CHECKED,
    AuditEntry,
)
from knooppunt.lio.v1.events_pb2 import DecisionRecorded
from knooppunt.referral.v1.events_pb2 import FeedbackOutcome, FeedbackReported, ReferralAcknowledged, ReferralIssued
from knooppunt.privacy.v1.events_pb2 import DataErased, PersonalDataRead
from knooppunt.registration.v1.events_pb2 import SubjectChecked
from services.audit.domain.register import ProcessingRegister
from knooppunt.sharing.v1.sharing_pb2 import Sharing
from knooppunt.signal.v1.signal_pb2 import SUBJECT_KIND_PERSON, SubjectKey

SOURCE_TYPES = EventTypes(
    DecisionRecorded, ReferralIssued, ReferralAcknowledged, FeedbackReported, SubjectChecked, PersonalDataRead, DataErased
)
# Entry ids derive from the source event id: the same source event always names the same entry.
ENTRY_NAMESPACE = uuid.UUID("9c3f5e1a-8b2d-4f70-a6e4-2d1b7c0f9e53")
_PSEUDONYM = re.compile(r"^person:[0-9a-f]{64}$")
_OUTCOMES = {"park": "park", "no_action": "no action", "local_approach": "local approach", "refer_to_riec": "refer to RIEC"}


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
        outcome=e.WhichOneof("outcome") or "",
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


def _from_feedback(e: FeedbackReported) -> AuditEntry:
    outcome = FeedbackOutcome.Name(e.outcome).removeprefix("FEEDBACK_OUTCOME_").lower() \
        if e.outcome in FeedbackOutcome.values() else ""
    entry = AuditEntry(
        kind=ENTRY_KIND_FEEDBACK_REPORTED,
        actor=e.reported_by,
        signal_id=e.signal_id,
        referral_id=e.referral_id,
        outcome=outcome,
        # The partner provides its outcome to the municipality; the note stays out (free text).
        sharing=Sharing(recipients=["gemeente"], data_categories=["referral.outcome"]),
        summary=f"Feedback from {e.recipient or 'unknown recipient'}: {outcome or 'unspecified'}",
    )
    if e.HasField("reported_at"):
        entry.decided_at.CopyFrom(e.reported_at)
    return entry


def _from_subject_checked(e: SubjectChecked) -> AuditEntry:
    answer = "hit" if e.known else "no_hit"
    asker = e.asked_by.organisation
    entry = AuditEntry(
        kind=ENTRY_KIND_SUBJECT_CHECKED,
        actor=e.asked_by,
        # Only a person pseudonym is kept; for other subjects the answer is logged without the key.
        subjects=pseudonymous_subjects([e.subject]),
        outcome=answer,
        sharing=Sharing(purpose=e.purpose, recipients=[asker] if asker else [],
                        data_categories=["register.known"]),
        summary=f"Hit/no-hit answer to {asker or 'unknown'}: {answer.replace('_', '-')}",
    )
    if e.HasField("checked_at"):
        entry.decided_at.CopyFrom(e.checked_at)
    return entry


def _from_read(e: PersonalDataRead) -> AuditEntry:
    ids = dict(oid.partition("=")[::2] for oid in e.object_ids)
    entry = AuditEntry(
        kind=ENTRY_KIND_PERSONAL_DATA_READ,
        actor=e.reader,
        signal_id=ids.get("signal_id", ""),
        meeting_id=ids.get("meeting_id", ""),
        referral_id=ids.get("referral_id", ""),
        sharing=Sharing(purpose=e.purpose, recipients=[e.reader.organisation] if e.reader.organisation else []),
        summary=f"Personal data read via {e.method.rsplit('/', 1)[-1]} ({', '.join(e.object_ids) or 'list'})",
    )
    if e.HasField("read_at"):
        entry.decided_at.CopyFrom(e.read_at)
    return entry


def _from_erased(e: DataErased) -> AuditEntry:
    kind = e.key_id.partition(":")[0]
    entry = AuditEntry(
        kind=ENTRY_KIND_DATA_ERASED,
        actor=e.erased_by,
        signal_id=e.signal_id,
        registration_number=e.registration_number,
        # The erased person stays identifiable only by pseudonym, as everywhere in the log.
        subjects=pseudonymous_subjects([SubjectKey(kind=SUBJECT_KIND_PERSON, key=e.key_id)]) if kind == "person" else [],
        outcome=e.reason,
        sharing=Sharing(data_categories=list(e.data_categories), retention_rule=e.retention_rule),
        summary=f"Erased {kind} data ({', '.join(e.data_categories)}) under {e.retention_rule or 'an erasure request'}",
    )
    if e.HasField("erased_at"):
        entry.decided_at.CopyFrom(e.erased_at)
    return entry


_BUILDERS = {
    PersonalDataRead: _from_read,
    DataErased: _from_erased,
    DecisionRecorded: _from_decision,
    ReferralIssued: _from_issued,
    ReferralAcknowledged: _from_acknowledged,
    FeedbackReported: _from_feedback,
    SubjectChecked: _from_subject_checked,
}


def entry_for(envelope: Envelope, register: ProcessingRegister | None = None) -> AuditEntry | None:
    """The entry an event gives, without sequence, chain hash or recording time; or None.

    With a register, the entry names its processing activity, and purpose, legal basis and
    retention come from there where the event does not state them.
    """
    build = _BUILDERS.get(type(envelope.data))
    entry = build(envelope.data) if build is not None else None
    if entry is None:
        return None
    if register is not None:
        activity = register.for_kind(entry.kind)
        if activity is not None:
            entry.processing_activity_id = register.uri(activity)
            rule, period = activity.retention_for(entry.outcome)
            entry.sharing.retention_rule = entry.sharing.retention_rule or rule
            entry.retention_period = period
            entry.sharing.legal_basis = entry.sharing.legal_basis or activity.legal_basis
            entry.sharing.purpose = entry.sharing.purpose or activity.purpose
    entry.entry_id = entry_id_for(envelope.id)
    entry.source_event_id = envelope.id
    entry.source_event_type = envelope.type
    entry.traceparent = envelope.traceparent
    return entry
