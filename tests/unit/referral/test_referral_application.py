"""The handlers with in-memory fakes: publish order, idempotency, acknowledgement rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.referral.application.acknowledging import AcknowledgeReferral
from services.referral.application.feed import ReferralFeed
from services.referral.application.referring import IssueReferrals
from services.referral.domain.book import Acknowledgement, NotAddressedToYou, ReferralBook, UnknownReferral
from services.referral.domain.package import Actor, Referral, ReferralDecision, referral_id_for

POLITIE = Actor(person_id="adapter-politie", role="partner-adapter", organisation="politie")


class FakeLog:
    """Records what would be published, in order; can be told to fail once."""

    def __init__(self) -> None:
        self.published: list[tuple[str, str]] = []
        self.fail_on: str | None = None

    def _maybe_fail(self, what: str) -> None:
        if self.fail_on == what:
            self.fail_on = None
            raise ConnectionError(f"broker gone during {what}")

    async def deliver(self, referral: Referral, traceparent: str) -> None:
        self._maybe_fail("deliver")
        self.published.append((f"referrals.to.{referral.recipient}", referral.referral_id))

    async def record_issued(self, referral: Referral, decision_: ReferralDecision, traceparent: str) -> None:
        self._maybe_fail("issued")
        self.published.append(("referrals.events/issued", referral.referral_id))

    async def record_acknowledged(self, acknowledgement: Acknowledgement) -> None:
        self._maybe_fail("acknowledged")
        self.published.append(("referrals.events/acknowledged", acknowledgement.referral_id))

    async def record_redelivered(self, referral: Referral, at: datetime) -> None:
        self._maybe_fail("redelivered")
        self.published.append((f"referrals.events/redelivered-{referral.redelivery}", referral.referral_id))

    async def record_stuck(self, referral_id: str, record, at: datetime, stuck_after_s: int) -> None:  # noqa: ANN001
        self._maybe_fail("stuck")
        self.published.append(("referrals.events/stuck", referral_id))

    async def record_feedback(self, feedback) -> None:  # noqa: ANN001
        self._maybe_fail("feedback")
        self.published.append((f"referrals.events/feedback-{feedback.outcome.name}", feedback.referral_id))


def clock() -> datetime:
    return datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def wiring(policy):  # noqa: ANN001, ANN201
    book, log, feed = ReferralBook(), FakeLog(), ReferralFeed()
    return book, log, feed, IssueReferrals(book, policy, log, feed, clock), AcknowledgeReferral(book, log, clock)


async def test_delivers_first_then_records_issue_per_recipient(wiring, make_decision) -> None:  # noqa: ANN001
    book, log, _, issue, _ = wiring
    await issue(make_decision(), "")
    riec, politie = referral_id_for("dec-1", "riec-rotterdam"), referral_id_for("dec-1", "politie")
    assert log.published == [
        ("referrals.to.riec-rotterdam", riec), ("referrals.events/issued", riec),
        ("referrals.to.politie", politie), ("referrals.events/issued", politie),
    ]
    assert book.issued[politie].recipient == "politie"


async def test_a_redelivered_decision_publishes_nothing_new(wiring, make_decision) -> None:  # noqa: ANN001
    _, log, _, issue, _ = wiring
    await issue(make_decision(), "")
    before = list(log.published)
    await issue(make_decision(), "")
    assert log.published == before


async def test_a_crash_between_deliver_and_record_redelivers_with_the_same_id(wiring, make_decision) -> None:  # noqa: ANN001
    book, log, _, issue, _ = wiring
    log.fail_on = "issued"
    with pytest.raises(ConnectionError):
        await issue(make_decision(recipients=("politie",)), "")
    # Delivered but not recorded: the book does not count it as issued...
    politie = referral_id_for("dec-1", "politie")
    assert politie not in book.issued
    # ...so the redelivered decision delivers again with the same id (the recipient dedupes) and records it.
    await issue(make_decision(recipients=("politie",)), "")
    assert log.published == [
        ("referrals.to.politie", politie), ("referrals.to.politie", politie), ("referrals.events/issued", politie),
    ]


async def test_unknown_recipients_are_never_delivered(wiring, make_decision) -> None:  # noqa: ANN001
    _, log, _, issue, _ = wiring
    packages = await issue(make_decision(recipients=("openbaar-ministerie",)), "")
    assert log.published == [] and [r.recipient for r in packages.refused] == ["openbaar-ministerie"]


async def test_live_subscribers_get_only_their_own_referrals(wiring, make_decision) -> None:  # noqa: ANN001
    _, _, feed, issue, _ = wiring
    politie, belastingdienst = feed.subscribe("politie"), feed.subscribe("belastingdienst")
    await issue(make_decision(), "")
    assert politie.get_nowait().recipient == "politie" and politie.empty()
    assert belastingdienst.empty()


async def test_acknowledgement_rules(wiring, make_decision) -> None:  # noqa: ANN001
    book, log, _, issue, acknowledge = wiring
    await issue(make_decision(), "")
    politie = referral_id_for("dec-1", "politie")
    log.published.clear()
    # Unknown referral, or someone else's: refused, nothing published.
    with pytest.raises(UnknownReferral):
        await acknowledge("no-such-referral", "politie", POLITIE)
    with pytest.raises(NotAddressedToYou):
        await acknowledge(politie, "belastingdienst", POLITIE)
    with pytest.raises(NotAddressedToYou):  # the acting organisation must be the recipient too
        await acknowledge(politie, "politie", Actor(person_id="x", organisation="riec-rotterdam"))
    assert log.published == []
    # First acknowledgement is recorded once; a repeat answers False and publishes nothing.
    assert await acknowledge(politie, "politie", POLITIE) is True
    assert await acknowledge(politie, "politie", POLITIE) is False
    assert log.published == [("referrals.events/acknowledged", politie)]
    assert politie in book.acknowledged


async def test_a_failed_acknowledgement_publish_can_be_retried(wiring, make_decision) -> None:  # noqa: ANN001
    book, log, _, issue, acknowledge = wiring
    await issue(make_decision(recipients=("politie",)), "")
    politie = referral_id_for("dec-1", "politie")
    log.fail_on = "acknowledged"
    with pytest.raises(ConnectionError):
        await acknowledge(politie, "politie", POLITIE)
    assert politie not in book.acknowledged
    assert await acknowledge(politie, "politie", POLITIE) is True


def test_the_book_fold_is_idempotent() -> None:
    book = ReferralBook()
    for _ in range(2):
        book.apply_issued("r1", "politie", "s1")
        book.apply_acknowledged("r1")
    book.apply_issued("r1", "belastingdienst", "s1")  # a later conflicting record never rewrites history
    assert book.issued["r1"].recipient == "politie" and book.acknowledged == {"r1"}


async def test_a_stuck_subscriber_is_dropped_and_told_so(wiring, make_decision, monkeypatch) -> None:  # noqa: ANN001
    _, _, feed, issue, _ = wiring
    monkeypatch.setattr("services.referral.application.feed.MAX_QUEUED", 1)
    queue = feed.subscribe("politie")
    await issue(make_decision(decision_id="a", recipients=("politie",)), "")
    await issue(make_decision(decision_id="b", recipients=("politie",)), "")
    # The full queue now holds only the marker that tells the stream to end (and the client to reconnect).
    assert queue.get_nowait() is None and queue.empty()
    await issue(make_decision(decision_id="c", recipients=("politie",)), "")
    assert queue.empty()
