"""Faust agent: keeps the receipt index current with signals accepted by any intake instance."""

from __future__ import annotations

import asyncio

import faust

from servicehost.agents import consume
from services.intake.adapters.kafka import EVENT_TYPES
from services.intake.adapters.proto import receipt_from_event
from services.intake.application.submit import ReceiptIndex
from services.intake.topics import SIGNALS_RECEIVED


def register_agents(app: faust.App, index: ReceiptIndex, ready: asyncio.Event) -> None:
    topic = app.topic(SIGNALS_RECEIVED.name, key_serializer="raw", value_serializer="raw")

    async def remember(envelope) -> None:  # noqa: ANN001
        index.remember(receipt_from_event(envelope.data))

    @app.agent(topic, name="intake-receipts")
    async def remember_receipts(stream):  # noqa: ANN001
        await consume(stream, EVENT_TYPES, remember, ready=ready, topic=SIGNALS_RECEIVED.name)
