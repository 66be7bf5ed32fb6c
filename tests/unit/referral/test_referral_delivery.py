"""Delivery states, the sweeper and feedback, with in-memory fakes and an injected clock (no sleeps)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from services.referral.application.acknowledging import AcknowledgeReferral, ReportFeedback
from services.referral.application.feed import ReferralFeed
from services.referral.application.referring import IssueReferrals
from services.referral.application.sweeping import Sweeper
from services.referral.domain.book import DeliveryState, NotAddressedToYou, ReferralBook, UnknownReferral
from services.referral.domain.feedback import InvalidFeedback, NotAcknowledged, Outcome
from services.referral.domain.package import Actor, referral_id_for
from services.referral.domain.sweep import Redeliver, ReportStuck, SweepRules, decide_sweep
from tests.unit.referral.conftest import NOW
from tests.unit.referral.test_referral_application import POLITIE, FakeLog

RULES = SweepRules(redeliver_after=timedelta(minutes=15), max_redeliveries=2, stuck_after=timedelta(hours=4))
RID = referral_id_for("dec-1", "politie")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def world(policy, make_decision):  # noqa: ANN001, ANN201
    """A referral to the police, issued at NOW; every handler shares the book, lock, log and clock."""
    book, log, feed, clock, lock = ReferralBook(), FakeLog(), ReferralFeed(), Clock(), asyncio.Lock()

    class World:
        pass

    w = World()
    w.book, w.log, w.feed, w.clock = book, log, feed, clock
    w.issue = IssueReferrals(book, policy, log, feed, clock)
    w.acknowledge = AcknowledgeReferral(book, log, clock, lock)
    w.feedback = ReportFeedback(book, log, clock, lock)
    w.sweeper = Sweeper(book, log, feed, clock, RULES, lock)
    w.decision = make_decision(recipients=("politie",))
    return w


async def issued(w) -> None:  # noqa: ANN001
    await w.issue(w.decision, "")
    w.log.published.clear()


# --- the state machine -------------------------------------------------------------------------

async def test_states_delivered_stuck_acknowledged_feedback(world) -> None:  # noqa: ANN001
    w = world
    await issued(w)
    # 1. Issued means delivered: ReferralIssued is recorded only after the package is on the topic.
    assert w.book.issued[RID].state is DeliveryState.DELIVERED
    # 2. Not acknowledged within the configured time: stuck.
    w.clock.advance(hours=4)
    await w.sweeper.sweep()
    assert w.book.issued[RID].state is DeliveryState.STUCK
    # 3. A late acknowledgement still counts, and takes it off the stuck list.
    assert await w.acknowledge(RID, "politie", POLITIE) is True
    assert w.book.issued[RID].state is DeliveryState.ACKNOWLEDGED and w.book.stuck() == []
    # 4. Feedback.
    assert await w.feedback(RID, "politie", Outcome.DECLINED, POLITIE, "geen capaciteit") is True
    assert w.book.issued[RID].state is DeliveryState.FEEDBACK_REPORTED


# --- the sweeper --------------------------------------------------------------------------------

async def test_sweeper_redelivers_the_same_referral_after_the_interval_up_to_the_maximum(world) -> None:  # noqa: ANN001
    w = world
    await issued(w)
    live = w.feed.subscribe("politie")
    # 1. Before the interval nothing happens.
    w.clock.advance(minutes=14)
    assert await w.sweeper.sweep() == (0, 0) and w.log.published == []
    # 2. After it: the same referral goes to the recipient's topic again, then ReferralRedelivered is recorded.
    w.clock.advance(minutes=1)
    assert await w.sweeper.sweep() == (1, 0)
    assert w.log.published == [("referrals.to.politie", RID), ("referrals.events/redelivered-1", RID)]
    copy = live.get_nowait()
    assert copy.referral_id == RID and copy.redelivery == 1
    # 3. The next pass right after decides nothing: the interval counts from the last delivery.
    assert await w.sweeper.sweep() == (0, 0)
    # 4. At most max_redeliveries copies.
    for _ in range(5):
        w.clock.advance(minutes=15)
        await w.sweeper.sweep()
    assert [p for p in w.log.published if p[0].startswith("referrals.events/redelivered")] == [
        ("referrals.events/redelivered-1", RID), ("referrals.events/redelivered-2", RID)
    ]


async def test_sweeper_leaves_acknowledged_referrals_alone(world) -> None:  # noqa: ANN001
    w = world
    await issued(w)
    await w.acknowledge(RID, "politie", POLITIE)
    w.log.published.clear()
    w.clock.advance(days=3)
    assert await w.sweeper.sweep() == (0, 0) and w.log.published == []


async def test_stuck_is_reported_once(world) -> None:  # noqa: ANN001
    w = world
    await issued(w)
    w.clock.advance(hours=4)
    await w.sweeper.sweep()
    w.clock.advance(hours=4)
    await w.sweeper.sweep()
    assert [p for p in w.log.published if p[0] == "referrals.events/stuck"] == [("referrals.events/stuck", RID)]
    ((rid, record),) = w.book.stuck("politie")
    assert rid == RID and record.stuck_since == NOW + timedelta(hours=4)
    assert w.book.stuck("belastingdienst") == []


async def test_a_crash_mid_redelivery_repeats_the_same_redelivery_never_a_new_one(world) -> None:  # noqa: ANN001
    w = world
    await issued(w)
    w.clock.advance(minutes=15)
    # 1. The copy reached the topic, the record of it did not (broker gone, or the process died).
    w.log.fail_on = "redelivered"
    with pytest.raises(ConnectionError):
        await w.sweeper.sweep()
    assert w.book.issued[RID].redeliveries == 0
    # 2. The next pass takes the same decision: redelivery 1 again (same referral_id; the recipient dedupes).
    await w.sweeper.sweep()
    assert w.log.published == [("referrals.to.politie", RID), ("referrals.to.politie", RID),
                               ("referrals.events/redelivered-1", RID)]


def test_sweep_decisions_follow_from_the_record_alone() -> None:
    book = ReferralBook()
    book.apply_issued("r1", "politie", "s1", issued_at=NOW)
    record = book.issued["r1"]
    # Without the package (not kept) there is nothing to redeliver, but stuck is still reported.
    assert decide_sweep(record, NOW + timedelta(hours=5), RULES) == [ReportStuck(redeliveries=0)]
    # A replayed log (duplicates included) gives the same record, so the same decisions.
    for _ in range(2):
        book.apply_redelivered("r1", 1, NOW + timedelta(minutes=15))
        book.apply_stuck("r1", NOW + timedelta(hours=4))
    book.apply_redelivered("r1", 1, NOW + timedelta(hours=9))  # an older attempt number never moves time
    assert (record.redeliveries, record.last_delivered_at) == (1, NOW + timedelta(minutes=15))
    assert decide_sweep(record, NOW + timedelta(hours=5), RULES) == []
    assert Redeliver(redelivery=2) != Redeliver(redelivery=1)


# --- feedback -----------------------------------------------------------------------------------

async def test_feedback_rules(world) -> None:  # noqa: ANN001
    w = world
    await issued(w)
    # 1. Only after acknowledgement.
    with pytest.raises(NotAcknowledged):
        await w.feedback(RID, "politie", Outcome.TAKEN_INTO_CASE, POLITIE, "")
    await w.acknowledge(RID, "politie", POLITIE)
    w.log.published.clear()
    # 2. Only the addressed recipient, acting as itself; only a known referral; a real outcome.
    with pytest.raises(NotAddressedToYou):
        await w.feedback(RID, "belastingdienst", Outcome.DECLINED, Actor(organisation="belastingdienst"), "")
    with pytest.raises(NotAddressedToYou):
        await w.feedback(RID, "politie", Outcome.DECLINED, Actor(organisation="riec-rotterdam"), "")
    with pytest.raises(UnknownReferral):
        await w.feedback("no-such-referral", "politie", Outcome.DECLINED, POLITIE, "")
    with pytest.raises(InvalidFeedback):
        await w.feedback(RID, "politie", 0, POLITIE, "")
    with pytest.raises(InvalidFeedback):
        await w.feedback(RID, "politie", Outcome.DECLINED, POLITIE, "x" * 501)
    assert w.log.published == []
    # 3. Recorded once per outcome change; a retry records nothing.
    assert await w.feedback(RID, "politie", Outcome.TAKEN_INTO_CASE, POLITIE, "RIEC-2026-017") is True
    assert await w.feedback(RID, "politie", Outcome.TAKEN_INTO_CASE, POLITIE, "RIEC-2026-017") is False
    assert await w.feedback(RID, "politie", Outcome.RETURNED_FOR_LOCAL_APPROACH, POLITIE, "") is True
    assert w.log.published == [("referrals.events/feedback-TAKEN_INTO_CASE", RID),
                               ("referrals.events/feedback-RETURNED_FOR_LOCAL_APPROACH", RID)]
    assert w.book.issued[RID].outcomes == [1, 3]


async def test_a_failed_feedback_publish_can_be_retried(world) -> None:  # noqa: ANN001
    w = world
    await issued(w)
    await w.acknowledge(RID, "politie", POLITIE)
    w.log.fail_on = "feedback"
    with pytest.raises(ConnectionError):
        await w.feedback(RID, "politie", Outcome.DECLINED, POLITIE, "")
    assert await w.feedback(RID, "politie", Outcome.DECLINED, POLITIE, "") is True


def test_the_acknowledgement_drops_the_package_it_no_longer_needs(make_decision, policy) -> None:  # noqa: ANN001
    from services.referral.domain.package import build_referrals

    (referral,) = build_referrals(make_decision(recipients=("politie",)), policy, NOW).referrals
    book = ReferralBook()
    book.apply_issued(RID, "politie", "sig-1", referral=referral, issued_at=NOW)
    assert book.issued[RID].referral is not None
    book.apply_acknowledged(RID, NOW)
    assert book.issued[RID].referral is None


async def test_with_two_instances_only_the_owner_of_the_signal_sweeps_it(world) -> None:  # noqa: ANN001
    # Two instances share one book (each folds referrals.events); the signal's lio.decisions
    # partition belongs to one of them, and only that one redelivers.
    w = world
    await issued(w)
    signal_id = w.book.issued[RID].signal_id
    other = Sweeper(w.book, w.log, w.feed, w.clock, RULES, asyncio.Lock(), owns=lambda s: s != signal_id)
    owner = Sweeper(w.book, w.log, w.feed, w.clock, RULES, asyncio.Lock(), owns=lambda s: s == signal_id)
    w.clock.advance(minutes=15)
    assert await other.sweep() == (0, 0)
    assert await owner.sweep() == (1, 0)
    assert w.log.published == [("referrals.to.politie", RID), ("referrals.events/redelivered-1", RID)]


async def test_the_feed_offers_each_delivery_once_whoever_offers_it(world) -> None:  # noqa: ANN001
    # The sweeper that redelivered and the follower of referrals.events may both offer a copy.
    w = world
    await issued(w)
    live = w.feed.subscribe("politie")
    referral = w.book.issued[RID].referral
    copy = referral.model_copy(update={"redelivery": 1})
    for offered in (referral, copy, copy, referral):
        w.feed.publish(offered)
    assert [live.get_nowait().redelivery] == [1] and live.empty()
