"""Registration on Kafka: publish SignalRegistered; rebuild the register from offset 0."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from knooppunt.privacy.v1 import events_pb2 as privacy_events
from prototime import from_timestamp
from topic_catalog import PRIVACY_ERASURES
from cloudevents_kafka import Envelope, EventTypes, new_traceparent
from cloudevents_kafka.kafka import EventPublisher, Outgoing, replay
from knooppunt.intake.v1 import events_pb2 as intake_events
from knooppunt.lio.v1 import events_pb2 as lio_events
from knooppunt.registration.v1 import events_pb2
from services.registration.adapters.proto import (
    filing_to_proto,
    ts,
    registration_from_event,
    registration_to_event,
    status_from_decision,
)
from services.registration.domain.register import Register, Registration
from services.registration.topics import (
    LIO_DECISIONS,
    REGISTRATION_DISCLOSURES,
    REGISTRATION_DOSSIERS,
    SIGNALS_RECEIVED,
    SIGNALS_REGISTERED,
)

RECEIVED_TYPES = EventTypes(intake_events.SignalReceived)
REGISTERED_TYPES = EventTypes(events_pb2.SignalRegistered)
DECISION_TYPES = EventTypes(lio_events.DecisionRecorded)
_NAMESPACE = uuid.UUID("4a9d2f61-0c3b-4e8a-a7d5-9b2e1f6c3d08")
_FILED_NAMESPACE = uuid.UUID("9c0e7d4b-5a1f-4f3e-8b6d-2e7a9c1f0b35")


class Unconfirmed:
    """Registrations this instance published and has not read back yet: per signal id the
    registration (the very object folded into the register) and its record value.

    The follower reads every registration back (ADR 0011). One of our own, read back with the
    value we sent while the register still holds that same registration, needs no decoding:
    decoding it would give back exactly that registration (the round trip is exact). Anything
    else (another instance's registration, a register folded again meanwhile) is decoded and
    compared in full."""

    def __init__(self) -> None:
        self._sent: dict[str, tuple[Registration, bytes]] = {}

    def add(self, registration: Registration, value: bytes) -> None:
        self._sent[registration.signal_id] = (registration, value)

    def confirm(self, signal_id: str, value: bytes | None, folded: Registration | None) -> bool:
        """True when ``value`` is what we sent for ``signal_id`` and ``folded`` (the register's
        registration of it) is the registration we sent; then it is no longer unconfirmed."""
        sent = self._sent.get(signal_id)
        if sent is None or sent[0] is not folded or sent[1] != value:
            return False
        del self._sent[signal_id]
        return True

    def clear(self) -> None:
        """The register is folded again from offset 0: every registration is read back in full."""
        self._sent.clear()

    def __len__(self) -> int:
        return len(self._sent)


class KafkaRegistrationLog:
    def __init__(self, publisher: EventPublisher, unconfirmed: Unconfirmed | None = None) -> None:
        self._publisher = publisher
        self._unconfirmed = unconfirmed

    async def append_many(self, items: Sequence[tuple[Registration, str]]) -> None:
        outgoing = []
        for registration, traceparent in items:
            message = registration_to_event(registration)
            if self._unconfirmed is not None:
                # Before it is sent: the follower may read it back before the broker's ack arrives.
                self._unconfirmed.add(registration, message.SerializeToString(deterministic=True))
            outgoing.append(Outgoing(SIGNALS_REGISTERED.name, key=registration.signal_id, message=message,
                                     event_id=str(uuid.uuid5(_NAMESPACE, registration.signal_id)),
                                     traceparent=new_traceparent(traceparent)))
        await self._publisher.publish_many(outgoing)

    async def announce_filings(self, items: Sequence[tuple[Registration, str]]) -> None:
        """SignalFiled on registration.dossiers; the same event id every time it is announced."""
        await self._publisher.publish_many([_filed(registration, traceparent) for registration, traceparent in items])


def _filed(registration: Registration, traceparent: str) -> Outgoing:
    filing = registration.filing()
    return Outgoing(
        REGISTRATION_DOSSIERS.name,
        key=filing.dossier_id,
        message=events_pb2.SignalFiled(
            dossier_id=filing.dossier_id, signal_id=registration.signal_id,
            registration_number=registration.registration_number, filing=filing_to_proto(filing),
            filed_at=ts(registration.registered_at),
        ),
        subject=registration.signal_id,
        event_id=str(uuid.uuid5(_FILED_NAMESPACE, registration.signal_id)),
        traceparent=new_traceparent(traceparent),
    )


class DisclosureLog:
    """Publishes each hit/no-hit answer (SubjectChecked) before it is given."""

    def __init__(self, publisher: EventPublisher, clock) -> None:  # noqa: ANN001
        self._publisher = publisher
        self._clock = clock

    async def subject_checked(self, request, answer) -> None:  # noqa: ANN001
        event = events_pb2.SubjectChecked(
            check_id=str(uuid.uuid4()), subject=request.subject, known=answer.known,
            signal_count=answer.signal_count, asked_by=request.asked_by, purpose=request.purpose,
            checked_at=ts(self._clock()),
        )
        await self._publisher.publish(REGISTRATION_DISCLOSURES.name, key=request.subject.key, message=event,
                                      subject=event.check_id)


def apply_decision(register: Register, envelope: Envelope) -> None:
    status = status_from_decision(envelope.data)
    if status is not None:
        register.apply_status(envelope.data.signal_id, status)


async def rebuild_register(bootstrap: str, register: Register) -> int:
    """Fold signals.registered, then lio.decisions, from offset 0 into ``register``."""
    count = 0
    async for envelope in replay(bootstrap, [SIGNALS_REGISTERED.name], REGISTERED_TYPES):
        register.apply_registration(registration_from_event(envelope.data))
        count += 1
    async for envelope in replay(bootstrap, [LIO_DECISIONS.name], DECISION_TYPES):
        apply_decision(register, envelope)
        count += 1
    # Erased persons are no longer known (crypto-shredding, ADR 0009).
    async for envelope in replay(bootstrap, [PRIVACY_ERASURES.name], EventTypes(privacy_events.DataErased)):
        if envelope.data.key_id.startswith("person:"):
            register.forget_subject(envelope.data.key_id, from_timestamp(envelope.data.erased_at))
        count += 1
    return count


__all__ = ["RECEIVED_TYPES", "DECISION_TYPES", "KafkaRegistrationLog", "Unconfirmed", "apply_decision", "rebuild_register", "SIGNALS_RECEIVED"]
