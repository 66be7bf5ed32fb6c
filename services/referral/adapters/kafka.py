"""Referral on Kafka: deliver packages, record issue and acknowledgement; rebuild from offset 0."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from cloudevents_kafka import EventTypes, new_traceparent
from cloudevents_kafka.kafka import EventPublisher, replay
from knooppunt.lio.v1 import events_pb2 as lio_events
from knooppunt.referral.v1 import events_pb2
from services.referral.adapters.proto import (
    acknowledged_to_event,
    issued_to_event,
    referral_from_proto,
    referral_to_proto,
)
from services.referral.domain.book import Acknowledgement, ReferralBook
from services.referral.domain.package import Referral, ReferralDecision
from services.referral.topics import REFERRAL_EVENTS, referral_topic_name

DECISION_TYPES = EventTypes(lio_events.DecisionRecorded)
REFERRAL_TYPES = EventTypes(events_pb2.Referral)
BOOK_TYPES = EventTypes(events_pb2.ReferralIssued, events_pb2.ReferralAcknowledged)
_NAMESPACE = uuid.UUID("c61e0f7a-93b4-4d2e-8a5f-1b7d3e9c2f48")


def _event_id(referral_id: str, what: str) -> str:
    # Deterministic: a republished event after a crash carries the same id, so consumers dedupe on it.
    return str(uuid.uuid5(_NAMESPACE, f"{referral_id}\x1f{what}"))


class KafkaReferralLog:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def deliver(self, referral: Referral, traceparent: str) -> None:
        await self._publisher.publish(
            referral_topic_name(referral.recipient), key=referral.referral_id, message=referral_to_proto(referral),
            event_id=_event_id(referral.referral_id, "delivered"), traceparent=new_traceparent(traceparent),
        )

    async def record_issued(self, referral: Referral, decision: ReferralDecision, traceparent: str) -> None:
        await self._publisher.publish(
            REFERRAL_EVENTS.name, key=referral.referral_id, message=issued_to_event(referral, decision),
            event_id=_event_id(referral.referral_id, "issued"), traceparent=new_traceparent(traceparent),
        )

    async def record_acknowledged(self, acknowledgement: Acknowledgement) -> None:
        await self._publisher.publish(
            REFERRAL_EVENTS.name, key=acknowledgement.referral_id, message=acknowledged_to_event(acknowledgement),
            event_id=_event_id(acknowledgement.referral_id, "acknowledged"),
        )


async def rebuild_book(bootstrap: str, book: ReferralBook) -> int:
    """Fold referrals.events from offset 0 into ``book``."""
    count = 0
    async for envelope in replay(bootstrap, [REFERRAL_EVENTS.name], BOOK_TYPES):
        e = envelope.data
        if isinstance(e, events_pb2.ReferralIssued):
            book.apply_issued(e.referral.referral_id, e.referral.recipient, e.referral.signal_id)
        else:
            book.apply_acknowledged(e.referral_id)
        count += 1
    return count


async def delivered_referrals(bootstrap: str, recipient: str) -> AsyncIterator[Referral]:
    """Every referral on the recipient's topic so far, oldest first per partition (may repeat ids)."""
    async for envelope in replay(bootstrap, [referral_topic_name(recipient)], REFERRAL_TYPES):
        yield referral_from_proto(envelope.data)
