"""Contract mapping: DecisionRecorded -> decision, Referral round trip, the sharing that was done."""

from __future__ import annotations

from datetime import UTC, datetime

from knooppunt.lio.v1 import events_pb2 as lio_events
from knooppunt.sharing.v1 import sharing_pb2
from knooppunt.signal.v1 import signal_pb2
from services.referral.adapters.proto import (
    decision_from_event,
    issued_to_event,
    referral_from_proto,
    referral_to_proto,
)
from services.referral.domain.package import build_referrals

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_only_refer_to_riec_decisions_become_referral_decisions() -> None:
    event = lio_events.DecisionRecorded(
        decision_id="d", signal_id="s", refer_to_riec=lio_events.ReferToRiec(grounds="g"),
        sharing=sharing_pb2.Sharing(purpose="p", recipients=["politie"], data_categories=["subject.vehicle"]),
        subjects=[signal_pb2.SubjectKey(kind=signal_pb2.SUBJECT_KIND_VEHICLE, key="plate:XX123X"),
                  signal_pb2.SubjectKey(kind=signal_pb2.SUBJECT_KIND_UNSPECIFIED, key="?")],
    )
    decision = decision_from_event(event)
    assert decision.grounds == "g" and decision.recipients == ("politie",)
    assert [s.kind for s in decision.subjects] == ["vehicle", "kind-0"]
    event.park.SetInParent()
    assert decision_from_event(event) is None


def test_referral_round_trips_and_issued_records_only_what_was_shared(make_decision, policy) -> None:  # noqa: ANN001
    decision = make_decision()
    _, politie = build_referrals(decision, policy, NOW).referrals
    assert referral_from_proto(referral_to_proto(politie)) == politie
    issued = issued_to_event(politie, decision)
    assert list(issued.sharing.recipients) == ["politie"]
    assert list(issued.sharing.data_categories) == list(politie.data_categories)
    assert issued.sharing.retention_rule == "referral-riec" and issued.decided_by.role == "lio-chair"


def test_the_book_rebuilds_the_same_life_cycle_from_its_events(make_decision, policy) -> None:  # noqa: ANN001
    from datetime import timedelta

    from knooppunt.referral.v1 import events_pb2
    from services.referral.adapters.kafka import apply_event
    from services.referral.adapters.proto import feedback_to_event, redelivered_to_event, stuck_to_event
    from services.referral.domain.book import DeliveryState, ReferralBook
    from services.referral.domain.feedback import Feedback, Outcome
    from services.referral.domain.package import Actor

    decision = make_decision()
    _, politie = build_referrals(decision, policy, NOW).referrals
    copy = politie.model_copy(update={"redelivery": 1})
    # A redelivered copy round-trips with its counter; ReferralIssued always holds the first delivery.
    assert referral_from_proto(referral_to_proto(copy)) == copy
    assert issued_to_event(copy, decision).referral.redelivery == 0
    book = ReferralBook()
    rid = politie.referral_id
    apply_event(book, issued_to_event(politie, decision))
    apply_event(book, redelivered_to_event(copy, NOW + timedelta(minutes=15)))
    stuck = stuck_to_event(rid, book.issued[rid], NOW + timedelta(hours=4), 14400)
    assert (stuck.redeliveries, stuck.stuck_after_seconds) == (1, 14400)
    apply_event(book, stuck)
    assert book.issued[rid].state is DeliveryState.STUCK and book.issued[rid].referral == politie
    apply_event(book, events_pb2.ReferralAcknowledged(referral_id=rid, recipient="politie"))
    apply_event(book, feedback_to_event(Feedback(
        referral_id=rid, recipient="politie", signal_id="sig-1", outcome=Outcome.DECLINED, reported_by=Actor(),
        reported_at=NOW, note="", sequence=0)))
    assert book.issued[rid].state is DeliveryState.FEEDBACK_REPORTED and book.issued[rid].outcomes == [2]
