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
