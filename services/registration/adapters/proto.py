"""Mapping between registration's contracts and its domain."""

from __future__ import annotations

from datetime import UTC, datetime


from prototime import from_timestamp as _dt
from prototime import to_timestamp as ts
from knooppunt.intake.v1 import events_pb2 as intake_events
from knooppunt.lio.v1 import events_pb2 as lio_events
from knooppunt.registration.v1 import events_pb2, registration_pb2
from knooppunt.signal.v1 import signal_pb2
from services.registration.domain import register as r

STATUS_TO_PROTO = {
    r.AWAITING: registration_pb2.SIGNAL_STATUS_AWAITING_DELIBERATION,
    r.PARKED: registration_pb2.SIGNAL_STATUS_PARKED,
    r.LOCAL_APPROACH: registration_pb2.SIGNAL_STATUS_LOCAL_APPROACH,
    r.REFERRED: registration_pb2.SIGNAL_STATUS_REFERRED,
    r.CLOSED: registration_pb2.SIGNAL_STATUS_CLOSED,
}
PROTO_TO_STATUS = {v: k for k, v in STATUS_TO_PROTO.items()}
OUTCOME_TO_STATUS = {"park": r.PARKED, "local_approach": r.LOCAL_APPROACH, "refer_to_riec": r.REFERRED}




def _subjects(keys) -> tuple[r.Subject, ...]:  # noqa: ANN001
    return tuple(r.Subject(kind=k.kind, key=k.key) for k in keys)


def received_from_event(event_id: str, e: intake_events.SignalReceived) -> r.ReceivedSignal:
    return r.ReceivedSignal(
        event_id=event_id, signal_id=e.signal_id, channel=e.channel, source=e.source,
        received_at=_dt(e.received_at), themes=tuple(e.themes), subjects=_subjects(e.subjects),
        description=e.description,
    )


def registration_to_event(reg: r.Registration) -> events_pb2.SignalRegistered:
    return events_pb2.SignalRegistered(
        signal_id=reg.signal_id, registration_number=reg.registration_number,
        registered_at=ts(reg.registered_at), received_at=ts(reg.received_at), channel=reg.channel,
        source=reg.source, themes=list(reg.themes),
        subjects=[signal_pb2.SubjectKey(kind=s.kind, key=s.key) for s in reg.subjects],
        description=reg.description, received_event_id=reg.received_event_id,
    )


def registration_from_event(e: events_pb2.SignalRegistered) -> r.Registration:
    return r.Registration(
        signal_id=e.signal_id, registration_number=e.registration_number, registered_at=_dt(e.registered_at),
        received_at=_dt(e.received_at), channel=e.channel, source=e.source, themes=tuple(e.themes),
        subjects=_subjects(e.subjects), description=e.description, received_event_id=e.received_event_id,
    )


def status_from_decision(e: lio_events.DecisionRecorded) -> str | None:
    return OUTCOME_TO_STATUS.get(e.WhichOneof("outcome") or "")


def entry_to_proto(entry: r.Entry) -> registration_pb2.RegisteredSignal:
    reg = entry.registration
    return registration_pb2.RegisteredSignal(
        signal_id=reg.signal_id, registration_number=reg.registration_number,
        status=STATUS_TO_PROTO[entry.status], channel=reg.channel, source=reg.source,
        themes=list(reg.themes), subjects=[signal_pb2.SubjectKey(kind=s.kind, key=s.key) for s in reg.subjects],
        received_at=ts(reg.received_at), registered_at=ts(reg.registered_at), description=reg.description,
    )
