"""Mapping between the intake wire contract and the domain. No validation happens here:
every field is carried over as it is, so that the domain can name the field that is wrong.
"""

from __future__ import annotations

from datetime import UTC


from prototime import to_timestamp as timestamp
from knooppunt.intake.v1 import events_pb2, intake_pb2
from knooppunt.signal.v1 import signal_pb2
from services.intake.application.submit import Receipt
from services.intake.domain.signal import AcceptedSignal, Attachment, Reporter, SubjectInput, Submission

CHANNELS = {v for v in signal_pb2.Channel.values() if v != signal_pb2.CHANNEL_UNSPECIFIED}
THEMES = {v for v in signal_pb2.Theme.values() if v != signal_pb2.THEME_UNSPECIFIED}
SUBJECT_KINDS = {
    "address": signal_pb2.SUBJECT_KIND_ADDRESS,
    "company": signal_pb2.SUBJECT_KIND_COMPANY,
    "person": signal_pb2.SUBJECT_KIND_PERSON,
    "vehicle": signal_pb2.SUBJECT_KIND_VEHICLE,
    "vessel": signal_pb2.SUBJECT_KIND_VESSEL,
}


def submission_from_proto(msg: intake_pb2.SignalSubmission) -> Submission:
    return Submission(
        channel=msg.channel,
        source=msg.source,
        source_reference=msg.source_reference,
        observed_at=msg.observed_at.ToDatetime(tzinfo=UTC) if msg.HasField("observed_at") else None,
        themes=tuple(msg.themes),
        description=msg.description,
        subjects=tuple(_subject(s) for s in msg.subjects),
        anonymous=msg.anonymous,
        attachments=tuple(
            Attachment(uri=a.uri, media_type=a.media_type, sha256=a.sha256, size_bytes=a.size_bytes)
            for a in msg.attachments
        ),
        reporter=_reporter(msg.reporter) if msg.HasField("reporter") else None,
    )


def _reporter(msg: intake_pb2.ReporterInput) -> Reporter:
    return Reporter(name=msg.name, email=msg.email, phone=msg.phone, employee_id=msg.employee_id)


def _subject(msg: intake_pb2.SubjectInput) -> SubjectInput:
    kind = msg.WhichOneof("subject") or ""
    if kind == "address":
        a = msg.address
        return SubjectInput(
            kind=kind, bag_id=a.bag_id, postcode=a.postcode, house_number=a.house_number,
            house_number_addition=a.house_number_addition,
        )
    if kind == "company":
        return SubjectInput(kind=kind, kvk_number=msg.company.kvk_number,
                            establishment_number=msg.company.establishment_number)
    if kind == "person":
        p = msg.person
        return SubjectInput(kind=kind, bsn=p.bsn, name=p.name, date_of_birth=p.date_of_birth)
    if kind == "vehicle":
        return SubjectInput(kind=kind, licence_plate=msg.vehicle.licence_plate)
    if kind == "vessel":
        return SubjectInput(kind=kind, name=msg.vessel.name, eni_number=msg.vessel.eni_number)
    return SubjectInput(kind="")



def event_from_signal(signal: AcceptedSignal) -> events_pb2.SignalReceived:
    event = events_pb2.SignalReceived(
        signal_id=signal.signal_id,
        channel=signal.channel,
        source=signal.source,
        source_reference=signal.source_reference,
        received_at=timestamp(signal.received_at),
        themes=list(signal.themes),
        description=signal.description,
        subjects=[signal_pb2.SubjectKey(kind=SUBJECT_KINDS[k.kind], key=k.key) for k in signal.subjects],
        anonymous=signal.anonymous,
        attachments=[
            signal_pb2.AttachmentReference(uri=a.uri, media_type=a.media_type, sha256=a.sha256, size_bytes=a.size_bytes)
            for a in signal.attachments
        ],
    )
    if signal.reporter is not None:
        r = signal.reporter
        event.reporter.CopyFrom(
            signal_pb2.ReporterIdentity(name=r.name, email=r.email, phone=r.phone, employee_id=r.employee_id)
        )
    if signal.observed_at is not None:
        event.observed_at.CopyFrom(timestamp(signal.observed_at))
    return event


def receipt_from_event(event: events_pb2.SignalReceived) -> Receipt:
    return Receipt(
        signal_id=event.signal_id,
        source=event.source,
        source_reference=event.source_reference,
        received_at=event.received_at.ToDatetime(tzinfo=UTC),
    )


def receipt_to_proto(receipt: Receipt) -> intake_pb2.Receipt:
    return intake_pb2.Receipt(
        signal_id=receipt.signal_id,
        source=receipt.source,
        source_reference=receipt.source_reference,
        received_at=timestamp(receipt.received_at),
        duplicate=receipt.duplicate,
    )
