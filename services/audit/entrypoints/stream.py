"""Faust agents: every LIO decision and referral event goes to the single writer.

The shared agent loop retries an event the writer could not log until it is logged; it never
moves past it (see servicehost.agents).
"""

from __future__ import annotations

import asyncio

import faust
import structlog

from servicehost.agents import consume
from services.audit.application.writer import AuditLog
from services.audit.domain.entries import SOURCE_TYPES
from services.audit.topics import LIO_DECISIONS, REFERRAL_EVENTS

log = structlog.get_logger(__name__)


def register_agents(app: faust.App, audit: AuditLog, ready: asyncio.Event) -> None:
    decisions = app.topic(LIO_DECISIONS.name, key_serializer="raw", value_serializer="raw")
    referrals = app.topic(REFERRAL_EVENTS.name, key_serializer="raw", value_serializer="raw")

    async def append(envelope) -> None:  # noqa: ANN001
        entry = await audit.append(envelope)
        if entry is not None:
            log.debug("audit_entry_appended", sequence=entry.sequence, kind=entry.kind, event_id=envelope.id)

    @app.agent(decisions, name="audit-log-decisions")
    async def log_decisions(stream):  # noqa: ANN001
        await consume(stream, SOURCE_TYPES, append, ready=ready, topic=LIO_DECISIONS.name)

    @app.agent(referrals, name="audit-log-referrals")
    async def log_referrals(stream):  # noqa: ANN001
        await consume(stream, SOURCE_TYPES, append, ready=ready, topic=REFERRAL_EVENTS.name)
