"""Faust agents: register every received signal once; follow LIO decisions for the status."""

from __future__ import annotations

import asyncio

import faust
import structlog

from cloudevents_kafka import EnvelopeError
from services.registration.adapters.kafka import DECISION_TYPES, RECEIVED_TYPES, apply_decision
from services.registration.adapters.proto import received_from_event
from services.registration.application.registering import RegisterReceivedSignal
from services.registration.domain.register import Register
from services.registration.topics import LIO_DECISIONS, SIGNALS_RECEIVED

log = structlog.get_logger(__name__)


def register_agents(app: faust.App, register: Register, handle: RegisterReceivedSignal, ready: asyncio.Event) -> None:
    received = app.topic(SIGNALS_RECEIVED.name, key_serializer="raw", value_serializer="raw")
    decisions = app.topic(LIO_DECISIONS.name, key_serializer="raw", value_serializer="raw")

    @app.agent(received, name="registration-register")
    async def register_signals(stream):  # noqa: ANN001
        await ready.wait()
        async for event in stream.events():
            try:
                envelope = RECEIVED_TYPES.decode(event.message.headers, event.message.value)
            except EnvelopeError as exc:
                # Not ours to fix here; skipping keeps the stream moving, the warning makes it visible.
                log.warning("unreadable_event_skipped", topic=SIGNALS_RECEIVED.name, offset=event.message.offset, error=str(exc))
                continue
            registration = await handle(received_from_event(envelope.id, envelope.data), envelope.traceparent)
            if registration is not None:
                log.debug("signal_registered", signal_id=registration.signal_id, number=registration.registration_number)

    @app.agent(decisions, name="registration-follow-decisions")
    async def follow_decisions(stream):  # noqa: ANN001
        await ready.wait()
        async for event in stream.events():
            try:
                envelope = DECISION_TYPES.decode(event.message.headers, event.message.value)
            except EnvelopeError:
                continue  # meetings and other LIO events do not change a signal's status
            apply_decision(register, envelope)
