"""Faust agents: every LIO decision and referral event goes to the single writer.

An event that the writer could not log is retried here until it is logged; the agent never
moves past it. Faust restarts a crashed agent further along the stream, so letting the error
escape could lose a decision from the log — a stalled, loudly logging agent cannot.
"""

from __future__ import annotations

import asyncio

import faust
import structlog

from cloudevents_kafka import EnvelopeError, header
from services.audit.application.writer import AuditLog
from services.audit.domain.entries import SOURCE_TYPES
from services.audit.topics import LIO_DECISIONS, REFERRAL_EVENTS

log = structlog.get_logger(__name__)

MAX_BACKOFF_S = 30.0


async def _log_event(audit: AuditLog, event, topic: str) -> None:  # noqa: ANN001
    message = event.message
    if header(message.headers, "ce_type") not in SOURCE_TYPES:
        return  # meetings and other events are not sharing decisions
    try:
        envelope = SOURCE_TYPES.decode(message.headers, message.value)
    except EnvelopeError as exc:
        # A sharing event we cannot read cannot be logged; error level, because an auditor
        # will miss it and someone must look at this offset.
        log.error("unreadable_sharing_event", topic=topic, offset=message.offset, error=str(exc))
        return
    backoff = 0.5
    while True:
        try:
            entry = await audit.append(envelope)
        except Exception as exc:  # noqa: BLE001 (any failure: retry, never skip)
            log.error("audit_append_failed", topic=topic, offset=message.offset, event_id=envelope.id,
                      error=str(exc), retry_in_s=backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)
            continue
        if entry is not None:
            log.info("audit_entry_appended", sequence=entry.sequence, kind=entry.kind, event_id=envelope.id)
        return


def register_agents(app: faust.App, audit: AuditLog, ready: asyncio.Event) -> None:
    decisions = app.topic(LIO_DECISIONS.name, key_serializer="raw", value_serializer="raw")
    referrals = app.topic(REFERRAL_EVENTS.name, key_serializer="raw", value_serializer="raw")

    @app.agent(decisions, name="audit-log-decisions")
    async def log_decisions(stream):  # noqa: ANN001
        await ready.wait()
        async for event in stream.events():
            await _log_event(audit, event, LIO_DECISIONS.name)

    @app.agent(referrals, name="audit-log-referrals")
    async def log_referrals(stream):  # noqa: ANN001
        await ready.wait()
        async for event in stream.events():
            await _log_event(audit, event, REFERRAL_EVENTS.name)
