"""Faust agent: register every received signal once. LIO decisions (the status) are folded by
the follower in entrypoints/follow.py: every instance needs all of them, not a group's share."""

from __future__ import annotations

import asyncio

import faust

from servicehost.agents import consume_batches
from services.registration.adapters.kafka import RECEIVED_TYPES
from services.registration.adapters.proto import received_from_event
from services.registration.application.registering import RegisterReceivedSignal
from services.registration.domain.register import Register
from services.registration.topics import SIGNALS_RECEIVED


def register_agents(app: faust.App, register: Register, handle: RegisterReceivedSignal, ready: asyncio.Event) -> None:
    received = app.topic(SIGNALS_RECEIVED.name, key_serializer="raw", value_serializer="raw")

    async def register_signals_batch(envelopes) -> None:  # noqa: ANN001
        await handle.batch([(received_from_event(e.id, e.data), e.traceparent) for e in envelopes])

    @app.agent(received, name="registration-register")
    async def register_signals(stream):  # noqa: ANN001
        await consume_batches(stream, RECEIVED_TYPES, register_signals_batch, ready=ready, topic=SIGNALS_RECEIVED.name)
