"""Faust agents: register every received signal once; follow LIO decisions for the status."""

from __future__ import annotations

import asyncio

import faust

from servicehost.agents import consume, consume_batches
from services.registration.adapters.kafka import DECISION_TYPES, RECEIVED_TYPES, apply_decision
from services.registration.adapters.proto import received_from_event
from services.registration.application.registering import RegisterReceivedSignal
from services.registration.domain.register import Register
from services.registration.topics import LIO_DECISIONS, SIGNALS_RECEIVED


def register_agents(app: faust.App, register: Register, handle: RegisterReceivedSignal, ready: asyncio.Event) -> None:
    received = app.topic(SIGNALS_RECEIVED.name, key_serializer="raw", value_serializer="raw")
    decisions = app.topic(LIO_DECISIONS.name, key_serializer="raw", value_serializer="raw")

    async def register_signals_batch(envelopes) -> None:  # noqa: ANN001
        await handle.batch([(received_from_event(e.id, e.data), e.traceparent) for e in envelopes])

    async def follow_decision(envelope) -> None:  # noqa: ANN001
        apply_decision(register, envelope)

    @app.agent(received, name="registration-register")
    async def register_signals(stream):  # noqa: ANN001
        await consume_batches(stream, RECEIVED_TYPES, register_signals_batch, ready=ready, topic=SIGNALS_RECEIVED.name)

    @app.agent(decisions, name="registration-follow-decisions")
    async def follow_decisions(stream):  # noqa: ANN001
        await consume(stream, DECISION_TYPES, follow_decision, ready=ready, topic=LIO_DECISIONS.name)
