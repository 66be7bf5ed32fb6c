"""The LIO on Kafka: publish meetings and decisions; rebuild the deliberation state from offset 0."""

from __future__ import annotations

import uuid

from cloudevents_kafka import Envelope, EventTypes
from cloudevents_kafka.kafka import EventPublisher, replay
from knooppunt.lio.v1 import events_pb2
from knooppunt.registration.v1 import events_pb2 as registration_events
from services.lio.adapters.proto import (
    agenda_item_from_registered,
    decision_from_event,
    decision_to_event,
    meeting_from_event,
    meeting_to_event,
)
from services.lio.domain.deliberation import Decision, Deliberation, Meeting
from services.lio.topics import LIO_DECISIONS, SIGNALS_REGISTERED

REGISTERED_TYPES = EventTypes(registration_events.SignalRegistered)
LIO_TYPES = EventTypes(events_pb2.MeetingScheduled, events_pb2.DecisionRecorded)
_NAMESPACE = uuid.UUID("9e4b2c17-6a3d-4f58-b0e1-7c2a5d8f3b46")


class KafkaDeliberationLog:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def meeting_scheduled(self, meeting: Meeting) -> None:
        await self._publisher.publish(
            LIO_DECISIONS.name, key=meeting.meeting_id, message=meeting_to_event(meeting),
            event_id=str(uuid.uuid5(_NAMESPACE, f"meeting:{meeting.meeting_id}")),
        )

    async def decision_recorded(self, decision: Decision) -> None:
        # Keyed by signal: all decisions about one signal stay in order on one partition.
        await self._publisher.publish(
            LIO_DECISIONS.name, key=decision.signal_id, message=decision_to_event(decision),
            event_id=str(uuid.uuid5(_NAMESPACE, f"decision:{decision.decision_id}")),
        )


def apply_lio_event(state: Deliberation, envelope: Envelope) -> None:
    if isinstance(envelope.data, events_pb2.MeetingScheduled):
        state.apply_meeting(meeting_from_event(envelope.data))
    else:
        state.apply_decision(decision_from_event(envelope.data))


async def rebuild_state(bootstrap: str, state: Deliberation) -> int:
    count = 0
    async for envelope in replay(bootstrap, [SIGNALS_REGISTERED.name], REGISTERED_TYPES):
        state.apply_registered(agenda_item_from_registered(envelope.data))
        count += 1
    async for envelope in replay(bootstrap, [LIO_DECISIONS.name], LIO_TYPES):
        apply_lio_event(state, envelope)
        count += 1
    return count
