"""The Kafka side of intake: publish SignalReceived, and read it back into the receipt index."""

from __future__ import annotations

import uuid

from cloudevents_kafka import EventTypes
from cloudevents_kafka.kafka import EventPublisher, replay
from knooppunt.intake.v1 import events_pb2
from services.intake.adapters.proto import event_from_signal, receipt_from_event
from services.intake.application.submit import ReceiptIndex
from services.intake.domain.signal import AcceptedSignal
from services.intake.topics import SIGNALS_RECEIVED

EVENT_TYPES = EventTypes(events_pb2.SignalReceived)
_EVENT_NAMESPACE = uuid.UUID("0b8e9a3e-2f57-4d9b-8c0e-4a1f6b2d7e90")


class KafkaSignalLog:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def append(self, signal: AcceptedSignal) -> None:
        await self._publisher.publish(
            SIGNALS_RECEIVED.name,
            key=signal.signal_id,
            message=event_from_signal(signal),
            # Deterministic: a duplicate that slips through has the same event id too.
            event_id=str(uuid.uuid5(_EVENT_NAMESPACE, signal.signal_id)),
        )


async def rebuild_receipt_index(bootstrap: str, index: ReceiptIndex) -> int:
    count = 0
    async for envelope in replay(bootstrap, [SIGNALS_RECEIVED.name], EVENT_TYPES):
        index.remember(receipt_from_event(envelope.data))
        count += 1
    return count
