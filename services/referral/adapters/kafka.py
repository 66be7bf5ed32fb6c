"""Referral on Kafka: deliver packages, record their life cycle, fold them into the book.

Every event id is derived from the referral id and the step (uuid5), so a step repeated after a
crash publishes byte-for-byte the same event and consumers dedupe on its id.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime

from cloudevents_kafka import EventTypes, new_traceparent
from cloudevents_kafka.kafka import EventPublisher, replay
from knooppunt.lio.v1 import events_pb2 as lio_events
from knooppunt.referral.v1 import events_pb2
from prototime import from_timestamp
from services.referral.adapters.proto import (
    acknowledged_to_event,
    feedback_to_event,
    issued_to_event,
    redelivered_to_event,
    referral_from_proto,
    referral_to_proto,
    stuck_to_event,
)
from services.referral.domain.book import Acknowledgement, DeliveryRecord, ReferralBook
from services.referral.domain.feedback import Feedback
from services.referral.domain.package import Referral, ReferralDecision
from services.referral.topics import REFERRAL_EVENTS, referral_topic_name

DECISION_TYPES = EventTypes(lio_events.DecisionRecorded)
REFERRAL_TYPES = EventTypes(events_pb2.Referral)
BOOK_TYPES = EventTypes(
    events_pb2.ReferralIssued, events_pb2.ReferralAcknowledged, events_pb2.ReferralRedelivered,
    events_pb2.ReferralStuck, events_pb2.FeedbackReported,
)
_NAMESPACE = uuid.UUID("c61e0f7a-93b4-4d2e-8a5f-1b7d3e9c2f48")


def _event_id(referral_id: str, what: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{referral_id}\x1f{what}"))


def _delivery_id(referral: Referral) -> str:
    # The first delivery keeps the id it always had, so old and new releases agree on it.
    return _event_id(referral.referral_id, "delivered" if referral.redelivery == 0 else f"delivered\x1f{referral.redelivery}")


class KafkaReferralLog:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def deliver(self, referral: Referral, traceparent: str) -> None:
        await self._publisher.publish(
            referral_topic_name(referral.recipient), key=referral.referral_id, message=referral_to_proto(referral),
            event_id=_delivery_id(referral), traceparent=new_traceparent(traceparent),
        )

    async def record_issued(self, referral: Referral, decision: ReferralDecision, traceparent: str) -> None:
        await self._publisher.publish(
            REFERRAL_EVENTS.name, key=referral.referral_id, message=issued_to_event(referral, decision),
            event_id=_event_id(referral.referral_id, "issued"), traceparent=new_traceparent(traceparent),
        )

    async def record_redelivered(self, referral: Referral, at: datetime) -> None:
        await self._publisher.publish(
            REFERRAL_EVENTS.name, key=referral.referral_id, message=redelivered_to_event(referral, at),
            event_id=_event_id(referral.referral_id, f"redelivered\x1f{referral.redelivery}"),
        )

    async def record_stuck(self, referral_id: str, record: DeliveryRecord, at: datetime, stuck_after_s: int) -> None:
        await self._publisher.publish(
            REFERRAL_EVENTS.name, key=referral_id, message=stuck_to_event(referral_id, record, at, stuck_after_s),
            event_id=_event_id(referral_id, "stuck"),
        )

    async def record_acknowledged(self, acknowledgement: Acknowledgement) -> None:
        await self._publisher.publish(
            REFERRAL_EVENTS.name, key=acknowledgement.referral_id, message=acknowledged_to_event(acknowledgement),
            event_id=_event_id(acknowledgement.referral_id, "acknowledged"),
        )

    async def record_feedback(self, feedback: Feedback) -> None:
        await self._publisher.publish(
            REFERRAL_EVENTS.name, key=feedback.referral_id, message=feedback_to_event(feedback),
            event_id=_event_id(feedback.referral_id, f"feedback\x1f{feedback.sequence}\x1f{int(feedback.outcome)}"),
        )


def apply_event(book: ReferralBook, e) -> None:  # noqa: ANN001 (one of BOOK_TYPES' messages)
    """Fold one referrals.events message into ``book``."""
    if isinstance(e, events_pb2.ReferralIssued):
        r = e.referral
        book.apply_issued(r.referral_id, r.recipient, r.signal_id, referral=referral_from_proto(r),
                          issued_at=from_timestamp(r.issued_at))
    elif isinstance(e, events_pb2.ReferralAcknowledged):
        book.apply_acknowledged(e.referral_id, from_timestamp(e.acknowledged_at))
    elif isinstance(e, events_pb2.ReferralRedelivered):
        book.apply_redelivered(e.referral_id, e.redelivery, from_timestamp(e.redelivered_at))
    elif isinstance(e, events_pb2.ReferralStuck):
        book.apply_stuck(e.referral_id, from_timestamp(e.reported_at))
    elif isinstance(e, events_pb2.FeedbackReported):
        book.apply_feedback(e.referral_id, e.outcome)


async def delivered_referrals(bootstrap: str, recipient: str) -> AsyncIterator[Referral]:
    """Every referral on the recipient's topic so far, oldest first per partition (may repeat ids)."""
    async for envelope in replay(bootstrap, [referral_topic_name(recipient)], REFERRAL_TYPES):
        yield referral_from_proto(envelope.data)
