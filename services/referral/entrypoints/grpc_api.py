"""gRPC ReferralService: partners acknowledge their referrals, or subscribe to them as a stream.

A partner only ever sees and acknowledges what is addressed to itself. (Which partner is
calling will come from its mTLS certificate; until then the request names the recipient.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import grpc
import structlog

from cloudevents_kafka.kafka import PublishUnavailable
from knooppunt.referral.v1 import referral_pb2, referral_pb2_grpc
from services.referral.adapters.proto import actor_from_proto, referral_to_proto
from services.referral.application.acknowledging import AcknowledgeReferral
from services.referral.application.feed import ReferralFeed
from services.referral.domain.book import NotAddressedToYou, ReferralBook, UnknownReferral
from services.referral.domain.package import Referral
from services.referral.topics import REFERRAL_RECIPIENTS

log = structlog.get_logger(__name__)

Replay = Callable[[str], AsyncIterator[Referral]]


class ReferralServicer(referral_pb2_grpc.ReferralServiceServicer):
    def __init__(self, book: ReferralBook, acknowledge: AcknowledgeReferral, feed: ReferralFeed, replay: Replay) -> None:
        self._book = book
        self._acknowledge = acknowledge
        self._feed = feed
        self._replay = replay

    async def AcknowledgeReferral(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        if not request.referral_id or not request.recipient:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "referral_id and recipient are required")
        try:
            first = await self._acknowledge(request.referral_id, request.recipient, actor_from_proto(request.acknowledged_by))
        except UnknownReferral:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no referral {request.referral_id!r} has been issued")
        except NotAddressedToYou:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "a recipient may only acknowledge its own referrals")
        except PublishUnavailable as exc:
            log.warning("publish_unavailable", error=str(exc))
            await context.abort(grpc.StatusCode.UNAVAILABLE, "Kafka is unavailable; nothing was recorded, retry safely")
        return referral_pb2.AcknowledgeReferralResponse(first_acknowledgement=first)

    async def SubscribeReferrals(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        recipient = request.recipient
        if recipient not in REFERRAL_RECIPIENTS:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown recipient; one of {list(REFERRAL_RECIPIENTS)}")
        # Subscribe before replaying, so nothing issued during the replay falls between the two.
        queue = self._feed.subscribe(recipient)
        sent: set[str] = set()
        try:
            async for referral in self._replay(recipient):
                if self._due(referral, sent):
                    yield referral_pb2.SubscribeReferralsResponse(referral=referral_to_proto(referral))
            while True:
                referral = await queue.get()
                if referral is None:
                    await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "subscriber fell too far behind; reconnect")
                if self._due(referral, sent):
                    yield referral_pb2.SubscribeReferralsResponse(referral=referral_to_proto(referral))
        finally:
            self._feed.unsubscribe(recipient, queue)

    def _due(self, referral: Referral, sent: set[str]) -> bool:
        # The topic may hold a referral twice (redelivered decision); each id goes out once per stream.
        if referral.referral_id in sent or referral.referral_id in self._book.acknowledged:
            return False
        sent.add(referral.referral_id)
        return True
