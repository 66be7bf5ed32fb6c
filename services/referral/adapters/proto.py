"""Mapping between referral's contracts and its domain. No decisions are taken here."""

from __future__ import annotations

from datetime import UTC, datetime


from prototime import to_timestamp as ts
from knooppunt.lio.v1 import events_pb2 as lio_events
from knooppunt.referral.v1 import events_pb2, referral_pb2
from knooppunt.sharing.v1 import sharing_pb2
from knooppunt.signal.v1 import signal_pb2
from services.referral.domain.book import Acknowledgement, DeliveryRecord
from services.referral.domain.feedback import Feedback
from services.referral.domain.package import Actor, Omission, Referral, ReferralDecision, Subject

KIND_TO_NAME = {
    signal_pb2.SUBJECT_KIND_ADDRESS: "address",
    signal_pb2.SUBJECT_KIND_COMPANY: "company",
    signal_pb2.SUBJECT_KIND_PERSON: "person",
    signal_pb2.SUBJECT_KIND_VEHICLE: "vehicle",
    signal_pb2.SUBJECT_KIND_VESSEL: "vessel",
}
NAME_TO_KIND = {v: k for k, v in KIND_TO_NAME.items()}


def actor_from_proto(a: sharing_pb2.Actor) -> Actor:
    return Actor(person_id=a.person_id, role=a.role, organisation=a.organisation)


def actor_to_proto(a: Actor) -> sharing_pb2.Actor:
    return sharing_pb2.Actor(person_id=a.person_id, role=a.role, organisation=a.organisation)


def decision_from_event(e: lio_events.DecisionRecorded) -> ReferralDecision | None:
    """The referral decision in a DecisionRecorded, or None when the outcome is not a referral."""
    if e.WhichOneof("outcome") != "refer_to_riec":
        return None
    return ReferralDecision(
        decision_id=e.decision_id, meeting_id=e.meeting_id, signal_id=e.signal_id,
        registration_number=e.registration_number, grounds=e.refer_to_riec.grounds,
        decided_by=actor_from_proto(e.decided_by), themes=tuple(e.themes),
        # An unknown kind keeps a name no category matches, so it can never be shared.
        subjects=tuple(Subject(kind=KIND_TO_NAME.get(s.kind, f"kind-{s.kind}"), key=s.key) for s in e.subjects),
        legal_basis=e.sharing.legal_basis, purpose=e.sharing.purpose, recipients=tuple(e.sharing.recipients),
        data_categories=tuple(e.sharing.data_categories), retention_rule=e.sharing.retention_rule,
    )


def referral_to_proto(r: Referral) -> events_pb2.Referral:
    return events_pb2.Referral(
        referral_id=r.referral_id, recipient=r.recipient, decision_id=r.decision_id, meeting_id=r.meeting_id,
        signal_id=r.signal_id, registration_number=r.registration_number, issued_at=ts(r.issued_at),
        grounds=r.grounds, purpose=r.purpose, legal_basis=r.legal_basis, themes=list(r.themes),
        subjects=[signal_pb2.SubjectKey(kind=NAME_TO_KIND[s.kind], key=s.key) for s in r.subjects],
        data_categories=list(r.data_categories),
        omitted=[events_pb2.OmittedCategory(data_category=o.data_category, reason=o.reason) for o in r.omitted],
        redelivery=r.redelivery,
    )


def referral_from_proto(p: events_pb2.Referral) -> Referral:
    return Referral(
        referral_id=p.referral_id, recipient=p.recipient, decision_id=p.decision_id, meeting_id=p.meeting_id,
        signal_id=p.signal_id, issued_at=p.issued_at.ToDatetime(tzinfo=UTC), purpose=p.purpose,
        legal_basis=p.legal_basis, registration_number=p.registration_number, grounds=p.grounds,
        themes=tuple(p.themes), subjects=tuple(Subject(kind=KIND_TO_NAME[s.kind], key=s.key) for s in p.subjects),
        data_categories=tuple(p.data_categories),
        omitted=tuple(Omission(data_category=o.data_category, reason=o.reason) for o in p.omitted),
        redelivery=p.redelivery,
    )


def issued_to_event(r: Referral, d: ReferralDecision) -> events_pb2.ReferralIssued:
    # The sharing actually done: one recipient, the categories actually included (not those proposed).
    sharing = sharing_pb2.Sharing(
        legal_basis=d.legal_basis, purpose=d.purpose, recipients=[r.recipient],
        data_categories=list(r.data_categories), retention_rule=d.retention_rule,
    )
    return events_pb2.ReferralIssued(
        referral=referral_to_proto(r.model_copy(update={"redelivery": 0})),
        decided_by=actor_to_proto(d.decided_by), sharing=sharing,
    )


def acknowledged_to_event(a: Acknowledgement) -> events_pb2.ReferralAcknowledged:
    return events_pb2.ReferralAcknowledged(
        referral_id=a.referral_id, recipient=a.recipient, signal_id=a.signal_id,
        acknowledged_by=actor_to_proto(a.acknowledged_by), acknowledged_at=ts(a.acknowledged_at),
    )


def feedback_to_event(f: Feedback) -> events_pb2.FeedbackReported:
    return events_pb2.FeedbackReported(
        referral_id=f.referral_id, recipient=f.recipient, signal_id=f.signal_id, outcome=int(f.outcome),
        reported_by=actor_to_proto(f.reported_by), reported_at=ts(f.reported_at), note=f.note,
    )


def redelivered_to_event(referral: Referral, at: datetime) -> events_pb2.ReferralRedelivered:
    return events_pb2.ReferralRedelivered(
        referral_id=referral.referral_id, recipient=referral.recipient, signal_id=referral.signal_id,
        redelivery=referral.redelivery, redelivered_at=ts(at),
    )


def stuck_to_event(referral_id: str, record: DeliveryRecord, at: datetime, stuck_after_s: int) -> events_pb2.ReferralStuck:
    return events_pb2.ReferralStuck(
        referral_id=referral_id, recipient=record.recipient, signal_id=record.signal_id,
        issued_at=ts(record.issued_at or at), redeliveries=record.redeliveries, reported_at=ts(at),
        stuck_after_seconds=stuck_after_s,
    )


def stuck_to_proto(referral_id: str, record: DeliveryRecord) -> referral_pb2.StuckReferral:
    # Ids and times only: an operator needs no content to chase a partner.
    return referral_pb2.StuckReferral(
        referral_id=referral_id, recipient=record.recipient, signal_id=record.signal_id,
        issued_at=ts(record.issued_at), last_delivered_at=ts(record.last_delivered_at or record.issued_at),
        redeliveries=record.redeliveries, stuck_since=ts(record.stuck_since),
    )
