"""The Kafka side of intake: publish SignalReceived, and read it back into the receipt index."""

from __future__ import annotations

import asyncio
import uuid

from services.intake.adapters.sealing import SignalSealer
from cloudevents_kafka import EventTypes
from cloudevents_kafka.kafka import EventPublisher, PublishUnavailable, replay
from knooppunt.intake.v1 import events_pb2
from services.intake.adapters.proto import event_from_signal, receipt_from_event
from services.intake.application.submit import ReceiptIndex
from services.intake.domain.signal import AcceptedSignal
from services.intake.topics import SIGNALS_RECEIVED

EVENT_TYPES = EventTypes(events_pb2.SignalReceived)
_EVENT_NAMESPACE = uuid.UUID("0b8e9a3e-2f57-4d9b-8c0e-4a1f6b2d7e90")


# An idempotent aiokafka producer retries a send for as long as the broker is away and never
# fails it by itself; intake must answer UNAVAILABLE instead of hanging until the deadline.
ACK_TIMEOUT_S = 10.0


class KafkaSignalLog:
    def __init__(self, publisher: EventPublisher, ack_timeout_s: float = ACK_TIMEOUT_S,
                 sealer: SignalSealer | None = None) -> None:
        self._publisher = publisher
        self._ack_timeout_s = ack_timeout_s
        # None only in contract tests of the log itself; the service always seals.
        self._sealer = sealer

    async def append(self, signal: AcceptedSignal) -> None:
        """Returns when the broker acknowledged; PublishUnavailable when it did not in time.

        After a timeout the record may still reach the broker later (the producer keeps it).
        That is safe: its signal id and event id are deterministic, so the client's retry is
        recognised as the same signal, and registration registers it once.
        """
        event = event_from_signal(signal)
        try:
            if self._sealer is not None:
                await asyncio.wait_for(self._sealer.seal(event), self._ack_timeout_s)
            await asyncio.wait_for(
                self._publisher.publish(
                    SIGNALS_RECEIVED.name,
                    key=signal.signal_id,
                    message=event,
                    # Deterministic: a duplicate that slips through has the same event id too.
                    event_id=str(uuid.uuid5(_EVENT_NAMESPACE, signal.signal_id)),
                ),
                self._ack_timeout_s,
            )
        except TimeoutError as exc:
            raise PublishUnavailable(f"Kafka did not acknowledge within {self._ack_timeout_s} s") from exc


async def rebuild_receipt_index(bootstrap: str, index: ReceiptIndex) -> int:
    count = 0
    async for envelope in replay(bootstrap, [SIGNALS_RECEIVED.name], EVENT_TYPES):
        index.remember(receipt_from_event(envelope.data))
        count += 1
    return count
