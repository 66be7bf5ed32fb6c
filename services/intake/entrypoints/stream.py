"""Faust agent: keeps the receipt index current with signals accepted by any intake instance."""

from __future__ import annotations

import faust

from cloudevents_kafka import EnvelopeError
from services.intake.adapters.kafka import EVENT_TYPES
from services.intake.adapters.proto import receipt_from_event
from services.intake.application.submit import ReceiptIndex
from services.intake.topics import SIGNALS_RECEIVED


def register_agents(app: faust.App, index: ReceiptIndex) -> None:
    topic = app.topic(SIGNALS_RECEIVED.name, key_serializer="raw", value_serializer="raw")

    @app.agent(topic, name="intake-receipts")
    async def remember_receipts(stream):  # noqa: ANN001
        async for event in stream.events():
            try:
                envelope = EVENT_TYPES.decode(event.message.headers, event.message.value)
            except EnvelopeError:
                continue
            index.remember(receipt_from_event(envelope.data))
