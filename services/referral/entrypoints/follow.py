"""Several referral instances in one consumer group: what each one must see and own.

- **The book** is folded by a follower of every partition of `referrals.events` in every
  instance (no consumer group), so a partner's acknowledgement or feedback is accepted by
  whichever instance its call reaches, and ListStuckReferrals is complete. A referral issued or
  redelivered by another instance also goes to this instance's gRPC subscribers.
- **Ownership** follows the consumer group: an instance issues referrals for the LIO decisions
  of the `lio.decisions` partitions it is assigned, and its sweeper redelivers and reports only
  those referrals (decisions are keyed by signal id), so two sweepers never both redeliver.
  Around a rebalance two may briefly overlap; the n-th redelivery has the same event ids
  wherever it is made, so recipients and the book dedupe it.
- Before deciding for newly assigned partitions the book is caught up with `referrals.events`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import faust
import structlog

from cloudevents_kafka import EnvelopeError, header
from cloudevents_kafka.follow import TopicFollower, partition_for
from cloudevents_kafka.kafka import ReplayedRecord
from knooppunt.referral.v1 import events_pb2
from services.referral.adapters.kafka import BOOK_TYPES, apply_event
from services.referral.application.feed import ReferralFeed
from services.referral.domain.book import ReferralBook
from services.referral.topics import LIO_DECISIONS, REFERRAL_EVENTS

log = structlog.get_logger(__name__)


def book_follower(bootstrap: str, book: ReferralBook, feed: ReferralFeed) -> TopicFollower:
    def handle(record: ReplayedRecord) -> None:
        if header(record.headers, "ce_type") not in BOOK_TYPES:
            return
        try:
            event = BOOK_TYPES.decode(record.headers, record.value).data
        except EnvelopeError as exc:
            log.error("unreadable_event_skipped", topic=record.topic, partition=record.partition,
                      offset=record.offset, error=str(exc))
            return
        issued = isinstance(event, events_pb2.ReferralIssued)
        before = book.issued.get(event.referral.referral_id if issued else event.referral_id)
        redeliveries = before.redeliveries if before is not None else 0
        apply_event(book, event)
        if not follower.folded_up_to_start:
            return  # the start-up fold: subscribers read the recipient's topic themselves
        if issued and before is None:
            record_ = book.issued[event.referral.referral_id]
            if record_.referral is not None:
                feed.publish(record_.referral)  # issued by another instance
        elif isinstance(event, events_pb2.ReferralRedelivered) and before is not None and event.redelivery > redeliveries:
            if before.referral is not None:
                feed.publish(before.referral.model_copy(update={"redelivery": event.redelivery}))

    follower = _Follower(bootstrap, [REFERRAL_EVENTS.name], handle)
    return follower


class _Follower(TopicFollower):
    """A follower that knows whether the start-up fold is done (live events go to subscribers)."""

    folded_up_to_start = False

    async def start(self) -> int:
        count = await super().start()
        self.folded_up_to_start = True
        return count


class Ownership:
    """Which lio.decisions partitions this instance is assigned, and catching up after a change."""

    def __init__(self, follower: TopicFollower) -> None:
        self._follower = follower
        self.partitions: set[int] = set()
        self._behind = False
        self._lock = asyncio.Lock()

    def owns(self, signal_id: str) -> bool:
        return partition_for(signal_id, LIO_DECISIONS.partitions) in self.partitions

    async def caught_up(self) -> None:
        if not self._behind:
            return
        async with self._lock:
            if self._behind:
                await self._follower.sync()
                self._behind = False

    def connect(self, app: faust.App) -> None:
        @app.on_partitions_revoked.connect
        async def on_revoked(sender: Any, revoked: set, **_: Any) -> None:  # noqa: ANN401
            self.partitions -= {tp.partition for tp in revoked if tp.topic == LIO_DECISIONS.name}

        @app.on_partitions_assigned.connect
        async def on_assigned(sender: Any, assigned: set, **_: Any) -> None:  # noqa: ANN401
            self.partitions = {tp.partition for tp in assigned if tp.topic == LIO_DECISIONS.name}
            self._behind = True
            log.info("lio_decisions_partitions_assigned", partitions=sorted(self.partitions))
