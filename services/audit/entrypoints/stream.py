"""Faust agents: every decision, referral and disclosure event goes to the single writer.

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
from services.audit.settings import AuditSettings

log = structlog.get_logger(__name__)


def register_agents(app: faust.App, audit: AuditLog, ready: asyncio.Event, settings: AuditSettings) -> None:
    async def append(envelope) -> None:  # noqa: ANN001
        entry = await audit.append(envelope)
        if entry is not None:
            log.debug("audit_entry_appended", sequence=entry.sequence, kind=entry.kind, event_id=envelope.id)

    sources = {
        "audit-log-decisions": settings.audit_decisions_topic,
        "audit-log-referrals": settings.audit_referrals_topic,
        "audit-log-disclosures": settings.audit_disclosures_topic,
        "audit-log-reads": settings.audit_reads_topic,
        "audit-log-erasures": settings.audit_erasures_topic,
    }
    for name, topic_name in sources.items():
        topic = app.topic(topic_name, key_serializer="raw", value_serializer="raw")

        def make(topic_name: str):  # noqa: ANN202
            async def agent(stream):  # noqa: ANN001
                await consume(stream, SOURCE_TYPES, append, ready=ready, topic=topic_name)
            return agent

        app.agent(topic, name=name)(make(topic_name))
