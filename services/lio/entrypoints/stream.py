"""Faust agents: registered signals join the agenda; decisions by any LIO instance are folded in."""

from __future__ import annotations

import asyncio

import faust

from cloudevents_kafka import EnvelopeError
from services.lio.adapters.kafka import LIO_TYPES, REGISTERED_TYPES, apply_lio_event
from services.lio.adapters.proto import agenda_item_from_registered
from services.lio.domain.deliberation import Deliberation
from services.lio.topics import LIO_DECISIONS, SIGNALS_REGISTERED


def register_agents(app: faust.App, state: Deliberation, ready: asyncio.Event) -> None:
    registered = app.topic(SIGNALS_REGISTERED.name, key_serializer="raw", value_serializer="raw")
    decisions = app.topic(LIO_DECISIONS.name, key_serializer="raw", value_serializer="raw")

    @app.agent(registered, name="lio-agenda")
    async def follow_registrations(stream):  # noqa: ANN001
        await ready.wait()
        async for event in stream.events():
            try:
                envelope = REGISTERED_TYPES.decode(event.message.headers, event.message.value)
            except EnvelopeError:
                continue
            state.apply_registered(agenda_item_from_registered(envelope.data))

    @app.agent(decisions, name="lio-decisions")
    async def follow_decisions(stream):  # noqa: ANN001
        await ready.wait()
        async for event in stream.events():
            try:
                envelope = LIO_TYPES.decode(event.message.headers, event.message.value)
            except EnvelopeError:
                continue
            apply_lio_event(state, envelope)
