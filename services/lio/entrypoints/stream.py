"""Faust agents: registered signals join the agenda; decisions by any LIO instance are folded in."""

from __future__ import annotations

import asyncio

import faust

from servicehost.agents import consume
from services.lio.adapters.kafka import LIO_TYPES, REGISTERED_TYPES, apply_lio_event
from services.lio.adapters.proto import agenda_item_from_registered
from services.lio.domain.deliberation import Deliberation
from services.lio.topics import LIO_DECISIONS, SIGNALS_REGISTERED


def register_agents(app: faust.App, state: Deliberation, ready: asyncio.Event) -> None:
    registered = app.topic(SIGNALS_REGISTERED.name, key_serializer="raw", value_serializer="raw")
    decisions = app.topic(LIO_DECISIONS.name, key_serializer="raw", value_serializer="raw")

    async def add_to_agenda(envelope) -> None:  # noqa: ANN001
        state.apply_registered(agenda_item_from_registered(envelope.data))

    async def fold(envelope) -> None:  # noqa: ANN001
        apply_lio_event(state, envelope)

    @app.agent(registered, name="lio-agenda")
    async def follow_registrations(stream):  # noqa: ANN001
        await consume(stream, REGISTERED_TYPES, add_to_agenda, ready=ready, topic=SIGNALS_REGISTERED.name)

    @app.agent(decisions, name="lio-decisions")
    async def follow_decisions(stream):  # noqa: ANN001
        await consume(stream, LIO_TYPES, fold, ready=ready, topic=LIO_DECISIONS.name)
