"""Events and stored logs for the audit tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from cloudevents_kafka import Envelope, event_type
from knooppunt.audit.v1.events_pb2 import AuditEntry
from knooppunt.lio.v1 import events_pb2 as lio
from knooppunt.referral.v1 import events_pb2 as referral
from knooppunt.sharing.v1.sharing_pb2 import Actor, Sharing
from knooppunt.signal.v1 import signal_pb2
from services.audit.domain.chain import GENESIS, chain_next

PERSON = "person:" + "ab" * 32
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def ts(dt: datetime = T0) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(dt)
    return t


def envelope(message, event_id: str | None = None) -> Envelope:  # noqa: ANN001
    return Envelope(
        id=event_id or str(uuid.uuid4()), source="/test", type=event_type(message), time=T0,
        subject="s", traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01", data=message,
    )


def decision(signal_id: str = "sig-1", *, sharing: bool = True) -> lio.DecisionRecorded:
    d = lio.DecisionRecorded(
        decision_id=str(uuid.uuid4()), meeting_id="meet-1", signal_id=signal_id, registration_number="2026-000001",
        reason="vrije tekst die nooit in het log mag", decided_at=ts(),
        decided_by=Actor(person_id="p-17", role="lio-chair", organisation="gemeente-maassluis"),
        refer_to_riec=lio.ReferToRiec(grounds="concrete aanwijzingen"),
        subjects=[
            signal_pb2.SubjectKey(kind=signal_pb2.SUBJECT_KIND_PERSON, key=PERSON),
            signal_pb2.SubjectKey(kind=signal_pb2.SUBJECT_KIND_VEHICLE, key="plate:XX123X"),
            signal_pb2.SubjectKey(kind=signal_pb2.SUBJECT_KIND_ADDRESS, key="bag:0363010000758545"),
        ],
    )
    if sharing:
        d.sharing.CopyFrom(Sharing(legal_basis="WGS art. 2.3", purpose="integrale aanpak ondermijning",
                                   recipients=["riec-rotterdam", "politie"], data_categories=["signal.themes"]))
    return d


def issued(signal_id: str = "sig-1", recipient: str = "politie") -> referral.ReferralIssued:
    return referral.ReferralIssued(
        referral=referral.Referral(
            referral_id=str(uuid.uuid4()), recipient=recipient, signal_id=signal_id, meeting_id="meet-1",
            registration_number="2026-000001", issued_at=ts(), grounds="g", purpose="integrale aanpak",
            legal_basis="Convenant RIEC art. 6", data_categories=["signal.themes"],
        ),
        decided_by=Actor(person_id="p-17", role="lio-chair", organisation="gemeente-maassluis"),
        sharing=Sharing(legal_basis="Convenant RIEC art. 6", purpose="integrale aanpak",
                        recipients=["riec-rotterdam", "politie"], data_categories=["signal.themes", "subject.address"]),
    )


def acknowledged(referral_id: str = "ref-1", recipient: str = "politie") -> referral.ReferralAcknowledged:
    return referral.ReferralAcknowledged(
        referral_id=referral_id, recipient=recipient, signal_id="sig-1", acknowledged_at=ts(),
        acknowledged_by=Actor(person_id="a-1", role="partner-adapter", organisation=recipient),
    )


def chained_log(n: int) -> list[bytes]:
    """A valid stored log of ``n`` entries, built the way the writer builds it."""
    values, head = [], GENESIS
    for i in range(n):
        entry = AuditEntry(sequence=i, entry_id=f"e{i}", source_event_id=f"src-{i}", summary=f"entry {i}",
                           previous_chain_hash=head.hex())
        value = entry.SerializeToString(deterministic=True)
        values.append(value)
        head = chain_next(head, value)
    return values
