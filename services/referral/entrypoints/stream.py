"""Faust agent: issue referrals for every LIO decision with outcome refer_to_riec."""

from __future__ import annotations

import asyncio

import faust
import structlog

from cloudevents_kafka import EnvelopeError, header
from cloudevents_kafka.kafka import PublishUnavailable
from services.referral.adapters.kafka import DECISION_TYPES
from services.referral.adapters.proto import decision_from_event
from services.referral.application.referring import IssueReferrals
from services.referral.topics import LIO_DECISIONS

log = structlog.get_logger(__name__)
MAX_BACKOFF_S = 30.0


def register_agents(app: faust.App, handle: IssueReferrals, ready: asyncio.Event) -> None:
    decisions = app.topic(LIO_DECISIONS.name, key_serializer="raw", value_serializer="raw")

    @app.agent(decisions, name="referral-issue")
    async def issue_referrals(stream):  # noqa: ANN001
        # The referral book must be rebuilt first, or a redelivered decision would be issued twice.
        await ready.wait()
        async for event in stream.events():
            if header(event.message.headers, "ce_type") not in DECISION_TYPES:
                continue  # meetings and other LIO events are not referrals
            try:
                envelope = DECISION_TYPES.decode(event.message.headers, event.message.value)
            except EnvelopeError as exc:
                log.warning("unreadable_event_skipped", topic=LIO_DECISIONS.name, offset=event.message.offset, error=str(exc))
                continue
            decision = decision_from_event(envelope.data)
            if decision is None:
                continue
            backoff = 0.5
            # Retry rather than skip: a referral decision that is never issued is a lost decision.
            while True:
                try:
                    await handle(decision, envelope.traceparent)
                    break
                except PublishUnavailable as exc:
                    log.warning("referral_publish_retry", decision_id=decision.decision_id, error=str(exc))
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_S)
