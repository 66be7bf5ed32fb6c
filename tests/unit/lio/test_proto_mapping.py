"""Contract: every decision kind survives domain -> DecisionRecorded -> domain unchanged; no_action is a oneof member."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from knooppunt.lio.v1 import events_pb2
from services.lio.adapters.proto import decision_from_event, decision_to_event
from services.lio.domain.deliberation import Decision, FollowUp
from tests.unit.lio.factories import CHAIR, DAY1, REFERRAL_SHARING, local

BASE = dict(decision_id="d1", meeting_id="m1", signal_id="s1", registration_number="2026-000001", reason="r",
            decided_by=CHAIR, decided_at=DAY1, themes=(1,), subjects=((1, "pc:3141AB:12"),))
FOLLOW = (FollowUp(action="terugkoppeling", team="th", due_on=datetime(2027, 1, 15, tzinfo=UTC)),)


@pytest.mark.parametrize("outcome,details,sharing,corrects", [
    ("park", {"review_on": datetime(2027, 3, 1, tzinfo=UTC)}, None, ""),
    ("no_action", {}, None, "d0"),
    ("local_approach", local(follow_ups=FOLLOW), None, ""),
    ("refer_to_riec", {"grounds": "g"}, REFERRAL_SHARING, ""),
])
def test_round_trip(outcome: str, details: dict, sharing, corrects: str) -> None:  # noqa: ANN001
    decision = Decision(**BASE, outcome=outcome, details=details, sharing=sharing, corrects_decision_id=corrects)
    event = decision_to_event(decision)
    assert event.WhichOneof("outcome") == outcome
    parsed = events_pb2.DecisionRecorded.FromString(event.SerializeToString())
    assert decision_from_event(parsed) == decision


def test_existing_field_numbers_are_unchanged() -> None:
    fields = {f.name: f.number for f in events_pb2.DecisionRecorded.DESCRIPTOR.fields}
    assert fields == {"decision_id": 1, "meeting_id": 2, "signal_id": 3, "registration_number": 4, "reason": 5, "decided_by": 6,
                      "decided_at": 7, "park": 8, "local_approach": 9, "refer_to_riec": 10, "sharing": 11, "themes": 12,
                      "subjects": 13, "no_action": 14, "corrects_decision_id": 15}
