"""Mapping between registration's contracts and its domain."""

from __future__ import annotations

from datetime import UTC, datetime


from cloudevents_kafka.follow import partition_for
from prototime import from_timestamp as _dt
from prototime import to_timestamp as ts
from knooppunt.intake.v1 import events_pb2 as intake_events
from knooppunt.lio.v1 import events_pb2 as lio_events
from knooppunt.registration.v1 import events_pb2, registration_pb2
from knooppunt.signal.v1 import signal_pb2
from services.registration.domain import register as r
from services.registration.domain.dossiers import Filing, LinkReason
from topic_catalog import SIGNALS_RECEIVED

STATUS_TO_PROTO = {
    r.AWAITING: registration_pb2.SIGNAL_STATUS_AWAITING_DELIBERATION,
    r.PARKED: registration_pb2.SIGNAL_STATUS_PARKED,
    r.LOCAL_APPROACH: registration_pb2.SIGNAL_STATUS_LOCAL_APPROACH,
    r.REFERRED: registration_pb2.SIGNAL_STATUS_REFERRED,
    r.CLOSED: registration_pb2.SIGNAL_STATUS_CLOSED,
}
PROTO_TO_STATUS = {v: k for k, v in STATUS_TO_PROTO.items()}
OUTCOME_TO_STATUS = {
    "park": r.PARKED, "local_approach": r.LOCAL_APPROACH, "refer_to_riec": r.REFERRED, "no_action": r.CLOSED,
}




def _subjects(keys) -> tuple[r.Subject, ...]:  # noqa: ANN001
    return tuple(r.Subject(kind=k.kind, key=k.key) for k in keys)


def segment_of(signal_id: str, partitions: int = SIGNALS_RECEIVED.partitions) -> int:
    """The signals.received partition of a signal: Kafka's default partitioner (murmur2) over the
    key, which is how intake places it; registration numbers are segmented by it (ADR 0011)."""
    return partition_for(signal_id, partitions)


def received_from_event(event_id: str, e: intake_events.SignalReceived) -> r.ReceivedSignal:
    return r.ReceivedSignal(
        segment=segment_of(e.signal_id),
        event_id=event_id, signal_id=e.signal_id, channel=e.channel, source=e.source,
        received_at=_dt(e.received_at), themes=tuple(e.themes), subjects=_subjects(e.subjects),
        description=e.description, observed_at=_dt(e.observed_at) if e.HasField("observed_at") else None,
        sealed_description=e.sealed_description,
    )


def filing_to_proto(f: Filing) -> events_pb2.DossierFiling:
    return events_pb2.DossierFiling(
        dossier_id=f.dossier_id, opened=f.opened, merged_dossier_ids=list(f.merged_dossier_ids),
        reasons=[reason_to_proto(x) for x in f.reasons],
    )


def reason_to_proto(x: LinkReason) -> events_pb2.LinkReason:
    return events_pb2.LinkReason(
        subject=signal_pb2.SubjectKey(kind=x.subject_kind, key=x.subject_key),
        linked_signal_id=x.linked_signal_id, linked_registration_number=x.linked_registration_number,
    )


def filing_from_proto(f: events_pb2.DossierFiling) -> Filing:
    return Filing(
        dossier_id=f.dossier_id, opened=f.opened, merged_dossier_ids=tuple(f.merged_dossier_ids),
        reasons=tuple(
            LinkReason(subject_kind=x.subject.kind, subject_key=x.subject.key, linked_signal_id=x.linked_signal_id,
                       linked_registration_number=x.linked_registration_number)
            for x in f.reasons
        ),
    )


def registration_to_event(reg: r.Registration) -> events_pb2.SignalRegistered:
    event = _registration_event(reg)
    if reg.dossier is not None:
        event.dossier.CopyFrom(filing_to_proto(reg.dossier))
    if reg.observed_at is not None:
        event.observed_at.CopyFrom(ts(reg.observed_at))
    return event


def _registration_event(reg: r.Registration) -> events_pb2.SignalRegistered:
    return events_pb2.SignalRegistered(
        signal_id=reg.signal_id, registration_number=reg.registration_number,
        registered_at=ts(reg.registered_at), received_at=ts(reg.received_at), channel=reg.channel,
        source=reg.source, themes=list(reg.themes),
        subjects=[signal_pb2.SubjectKey(kind=s.kind, key=s.key) for s in reg.subjects],
        description=reg.description, received_event_id=reg.received_event_id,
        sealed_description=reg.sealed_description,
    )


def registration_from_event(e: events_pb2.SignalRegistered) -> r.Registration:
    return r.Registration(
        signal_id=e.signal_id, registration_number=e.registration_number, registered_at=_dt(e.registered_at),
        received_at=_dt(e.received_at), channel=e.channel, source=e.source, themes=tuple(e.themes),
        subjects=_subjects(e.subjects), description=e.description, received_event_id=e.received_event_id,
        sealed_description=e.sealed_description,
        dossier=filing_from_proto(e.dossier) if e.HasField("dossier") else None,
        observed_at=_dt(e.observed_at) if e.HasField("observed_at") else None,
    )


def status_from_decision(e: lio_events.DecisionRecorded) -> str | None:
    return OUTCOME_TO_STATUS.get(e.WhichOneof("outcome") or "")


def entry_to_proto(entry: r.Entry, dossier_id: str = "") -> registration_pb2.RegisteredSignal:
    reg = entry.registration
    msg = _entry(entry, reg)
    msg.dossier_id = dossier_id
    if reg.observed_at is not None:
        msg.observed_at.CopyFrom(ts(reg.observed_at))
    return msg


def _entry(entry: r.Entry, reg: r.Registration) -> registration_pb2.RegisteredSignal:
    return registration_pb2.RegisteredSignal(
        signal_id=reg.signal_id, registration_number=reg.registration_number,
        status=STATUS_TO_PROTO[entry.status], channel=reg.channel, source=reg.source,
        themes=list(reg.themes), subjects=[signal_pb2.SubjectKey(kind=s.kind, key=s.key) for s in reg.subjects],
        received_at=ts(reg.received_at), registered_at=ts(reg.registered_at), description=reg.description,
    )
