"""gRPC ReferralService: partners subscribe to, acknowledge and report on their own referrals;
operators list stuck referrals.

A partner only ever sees and acts on what is addressed to itself: with mTLS the caller's
identity (``partner:<recipient>``) must match the request's recipient; without it (development
only) the request names the recipient. The object-level check is in the domain either way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
import structlog

from cloudevents_kafka.kafka import PublishUnavailable
from grpc_security import caller_identity
from knooppunt.referral.v1 import referral_pb2, referral_pb2_grpc
from services.referral.adapters.proto import actor_from_proto, referral_to_proto, stuck_to_proto
from services.referral.application.acknowledging import AcknowledgeReferral, ReportFeedback
from services.referral.application.feed import ReferralFeed
from services.referral.domain.book import NotAddressedToYou, ReferralBook, UnknownReferral
from services.referral.domain.feedback import InvalidFeedback, NotAcknowledged
from services.referral.domain.package import Referral
from services.referral.topics import REFERRAL_RECIPIENTS

log = structlog.get_logger(__name__)

Replay = Callable[[str], AsyncIterator[Referral]]
PARTNER_PREFIX = "partner:"


class ReferralServicer(referral_pb2_grpc.ReferralServiceServicer):
    def __init__(self, book: ReferralBook, acknowledge: AcknowledgeReferral, feed: ReferralFeed, replay: Replay,
                 report_feedback: ReportFeedback, catch_up: Callable[[], Awaitable[None]] | None = None) -> None:
        self._book = book
        # Another instance may have issued the referral a moment ago: fold the log up to now, once.
        self._catch_up = catch_up
        self._acknowledge = acknowledge
        self._feed = feed
        self._replay = replay
        self._report_feedback = report_feedback

    async def _check_caller(self, recipient: str, context: grpc.aio.ServicerContext) -> None:
        identity = caller_identity(context)
        if identity is not None and identity != PARTNER_PREFIX + recipient:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "a partner may only act on its own referrals")

    async def AcknowledgeReferral(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        if not request.referral_id or not request.recipient:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "referral_id and recipient are required")
        await self._check_caller(request.recipient, context)
        try:
            await self._known(request.referral_id)
            first = await self._acknowledge(request.referral_id, request.recipient, actor_from_proto(request.acknowledged_by))
        except UnknownReferral:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no referral {request.referral_id!r} has been issued")
        except NotAddressedToYou:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "a recipient may only acknowledge its own referrals")
        except PublishUnavailable as exc:
            log.warning("publish_unavailable", error=str(exc))
            await context.abort(grpc.StatusCode.UNAVAILABLE, "Kafka is unavailable; nothing was recorded, retry safely")
        return referral_pb2.AcknowledgeReferralResponse(first_acknowledgement=first)

    async def ReportFeedback(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        if not request.referral_id or not request.recipient:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "referral_id and recipient are required")
        await self._check_caller(request.recipient, context)
        try:
            await self._known(request.referral_id)
            recorded = await self._report_feedback(request.referral_id, request.recipient, request.outcome,
                                                   actor_from_proto(request.reported_by), request.note)
        except InvalidFeedback as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except UnknownReferral:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no referral {request.referral_id!r} has been issued")
        except NotAddressedToYou:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "a recipient may only report on its own referrals")
        except NotAcknowledged:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "acknowledge the referral before reporting feedback")
        except PublishUnavailable as exc:
            log.warning("publish_unavailable", error=str(exc))
            await context.abort(grpc.StatusCode.UNAVAILABLE, "Kafka is unavailable; nothing was recorded, retry safely")
        log.info("feedback_reported" if recorded else "feedback_repeated", referral_id=request.referral_id,
                 recipient=request.recipient, outcome=request.outcome)
        return referral_pb2.ReportFeedbackResponse(recorded=recorded)

    async def _known(self, referral_id: str) -> None:
        if referral_id not in self._book.issued and self._catch_up is not None:
            await self._catch_up()

    async def ListStuckReferrals(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        if request.recipient and request.recipient not in REFERRAL_RECIPIENTS:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown recipient; one of {list(REFERRAL_RECIPIENTS)}")
        return referral_pb2.ListStuckReferralsResponse(
            referrals=[stuck_to_proto(rid, record) for rid, record in self._book.stuck(request.recipient)]
        )

    async def SubscribeReferrals(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        recipient = request.recipient
        if recipient not in REFERRAL_RECIPIENTS:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unknown recipient; one of {list(REFERRAL_RECIPIENTS)}")
        await self._check_caller(recipient, context)
        # Subscribe before replaying, so nothing issued during the replay falls between the two.
        # Backpressure: each `yield` waits for HTTP/2 flow control, so a slow reader slows the
        # replay down; the live queue is bounded and a reader that falls behind it is told to reconnect.
        queue = self._feed.subscribe(recipient)
        sent: set[str] = set()
        try:
            async for referral in self._replay(recipient):
                if self._due(referral, sent, live=False):
                    yield referral_pb2.SubscribeReferralsResponse(referral=referral_to_proto(referral))
            while True:
                referral = await queue.get()
                if referral is None:
                    await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "subscriber fell too far behind; reconnect")
                if self._due(referral, sent, live=True):
                    yield referral_pb2.SubscribeReferralsResponse(referral=referral_to_proto(referral))
        finally:
            self._feed.unsubscribe(recipient, queue)

    def _due(self, referral: Referral, sent: set[str], *, live: bool) -> bool:
        if referral.referral_id in self._book.acknowledged:
            return False
        # The topic may hold a referral more than once (a redelivered decision, the sweeper's
        # copies): from the replay each id goes out once per stream. A live redelivery by the
        # sweeper does go out again: it exists because this recipient has not acknowledged it.
        if referral.referral_id in sent and not (live and referral.redelivery):
            return False
        sent.add(referral.referral_id)
        return True
