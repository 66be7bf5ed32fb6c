"""The LIO on Kafka: publish its facts to `lio.decisions`; rebuild the deliberation state from offset 0."""

from __future__ import annotations

import uuid

from cloudevents_kafka import Envelope, EventTypes
from cloudevents_kafka.kafka import EventPublisher, replay
from knooppunt.lio.v1 import events_pb2
from knooppunt.registration.v1 import events_pb2 as registration_events
from services.lio.adapters import proto
from services.lio.domain.deliberation import AgendaChange, Attendance, Decision, Deliberation, Meeting
from services.lio.topics import LIO_DECISIONS, SIGNALS_REGISTERED

REGISTERED_TYPES = EventTypes(registration_events.SignalRegistered)
LIO_TYPES = EventTypes(
    events_pb2.MeetingScheduled, events_pb2.AttendanceRecorded, events_pb2.AgendaItemAdded,
    events_pb2.AgendaItemDeferred, events_pb2.DecisionRecorded,
)
_NAMESPACE = uuid.UUID("9e4b2c17-6a3d-4f58-b0e1-7c2a5d8f3b46")


def _event_id(*parts: str) -> str:
    # Deterministic: a fact published twice carries one id, and consumers dedupe on it.
    return str(uuid.uuid5(_NAMESPACE, ":".join(parts)))


class KafkaDeliberationLog:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def meeting_scheduled(self, meeting: Meeting) -> None:
        await self._publisher.publish(LIO_DECISIONS.name, key=meeting.meeting_id, message=proto.meeting_to_event(meeting),
                                      event_id=_event_id("meeting", meeting.meeting_id))

    async def attendance_recorded(self, a: Attendance) -> None:
        await self._publisher.publish(LIO_DECISIONS.name, key=a.meeting_id, message=proto.attendance_to_event(a),
                                      event_id=_event_id("attendance", a.meeting_id, a.attendee.person_id))

    async def agenda_item_added(self, c: AgendaChange) -> None:
        await self._publisher.publish(LIO_DECISIONS.name, key=c.meeting_id, message=proto.added_to_event(c),
                                      subject=c.signal_id, event_id=_event_id("agenda-added", c.meeting_id, c.signal_id))

    async def agenda_item_deferred(self, c: AgendaChange) -> None:
        await self._publisher.publish(LIO_DECISIONS.name, key=c.meeting_id, message=proto.deferred_to_event(c),
                                      subject=c.signal_id, event_id=_event_id("agenda-deferred", c.meeting_id, c.signal_id))

    async def decision_recorded(self, decision: Decision) -> None:
        # Keyed by signal: all decisions about one signal stay in order on one partition.
        await self._publisher.publish(LIO_DECISIONS.name, key=decision.signal_id, message=proto.decision_to_event(decision),
                                      event_id=_event_id("decision", decision.decision_id))


def apply_lio_event(state: Deliberation, envelope: Envelope) -> None:
    e = envelope.data
    if isinstance(e, events_pb2.MeetingScheduled):
        state.apply_meeting(proto.meeting_from_event(e))
    elif isinstance(e, events_pb2.AttendanceRecorded):
        state.apply_attendance(proto.attendance_from_event(e))
    elif isinstance(e, events_pb2.AgendaItemAdded):
        state.apply_added(proto.added_from_event(e))
    elif isinstance(e, events_pb2.AgendaItemDeferred):
        state.apply_deferred(proto.deferred_from_event(e))
    elif isinstance(e, events_pb2.DecisionRecorded):
        state.apply_decision(proto.decision_from_event(e))


async def replay_lio(bootstrap: str, state: Deliberation) -> int:
    """Fold every LIO event into ``state``; the minutes CLI needs nothing else."""
    count = 0
    async for envelope in replay(bootstrap, [LIO_DECISIONS.name], LIO_TYPES):
        apply_lio_event(state, envelope)
        count += 1
    return count


async def rebuild_state(bootstrap: str, state: Deliberation) -> int:
    count = 0
    async for envelope in replay(bootstrap, [SIGNALS_REGISTERED.name], REGISTERED_TYPES):
        state.apply_registered(proto.agenda_item_from_registered(envelope.data))
        count += 1
    return count + await replay_lio(bootstrap, state)
