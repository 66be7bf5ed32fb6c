"""Wires referral together. Nothing here runs at import time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import partial

import grpc
import structlog

from cloudevents_kafka.kafka import EventPublisher
from knooppunt.referral.v1 import referral_pb2, referral_pb2_grpc
from servicehost import GrpcHost, create_faust_app
from services.referral.adapters.kafka import KafkaReferralLog, delivered_referrals
from services.referral.application.acknowledging import AcknowledgeReferral, ReportFeedback
from services.referral.application.feed import ReferralFeed
from services.referral.application.referring import IssueReferrals
from services.referral.application.sweeping import Sweeper
from services.referral.domain.book import ReferralBook
from services.referral.domain.policy import parse_policy
from services.referral.entrypoints.grpc_api import ReferralServicer
from services.referral.entrypoints.follow import Ownership, book_follower
from services.referral.entrypoints.stream import register_agents
from services.referral.entrypoints.sweeper import register_sweeper
from services.referral.settings import ReferralSettings
from services.referral.topics import REFERRAL_RECIPIENTS

log = structlog.get_logger(__name__)


def build(settings: ReferralSettings):  # noqa: ANN201
    app = create_faust_app("knooppunt-referral", settings)
    # Read here, not at import: an invalid policy stops start-up with its error, before any consumer runs.
    policy = parse_policy(settings.referral_policy_file.read_text(encoding="utf-8"), REFERRAL_RECIPIENTS)
    book = ReferralBook()
    feed = ReferralFeed()
    clock = lambda: datetime.now(UTC)  # noqa: E731
    publisher = EventPublisher(settings.kafka_bootstrap_servers, source="/knooppunt/referral")
    referral_log = KafkaReferralLog(publisher)
    issue = IssueReferrals(book, policy, referral_log, feed, clock)
    # One lock for every decision that reads and then changes the book (acknowledge, feedback, sweep).
    lock = asyncio.Lock()
    acknowledge = AcknowledgeReferral(book, referral_log, clock, lock)
    report_feedback = ReportFeedback(book, referral_log, clock, lock)
    # The book folds every instance's referral events, for ever; decisions and sweeps are owned per partition.
    follower = book_follower(settings.kafka_bootstrap_servers, book, feed)
    ownership = Ownership(follower)
    ownership.connect(app)
    sweeper = Sweeper(book, referral_log, feed, clock, settings.sweep_rules(), lock, owns=ownership.owns)
    replay = partial(delivered_referrals, settings.kafka_bootstrap_servers)

    def add_servicers(server: grpc.aio.Server) -> list[str]:
        referral_pb2_grpc.add_ReferralServiceServicer_to_server(ReferralServicer(book, acknowledge, feed, replay, report_feedback,
                                                                                  catch_up=follower.sync), server)
        return [referral_pb2.DESCRIPTOR.services_by_name["ReferralService"].full_name]

    async def startup() -> None:
        await publisher.start()
        count = await follower.start()
        log.info("referral_book_rebuilt", events=count, issued=len(book.issued), acknowledged=len(book.acknowledged),
                 stuck=len(book.stuck()), policy_version=policy.version, sweep_rules=repr(settings.sweep_rules()))

    host = GrpcHost(settings, add_servicers, startup=[startup], shutdown=[follower.stop, publisher.stop])
    register_agents(app, issue, host.ready, caught_up=ownership.caught_up)
    register_sweeper(app, sweeper, host.ready, settings.referral_sweep_interval_s)
    return app, host
