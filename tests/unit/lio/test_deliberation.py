"""LIO decision rules: each kind, the sharing it must record, once per signal per meeting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.lio.domain.deliberation import (
    Actor,
    AgendaItem,
    AlreadyDecided,
    Deliberation,
    Meeting,
    ProposedDecision,
    Sharing,
    decide,
)

NOW = datetime(2026, 11, 29, 14, tzinfo=UTC)
CHAIR = Actor(person_id="mw-1", role="lio-chair", organisation="gemeente")
REFERRAL_SHARING = Sharing(legal_basis="WGS", purpose="aanpak", recipients=("riec-rotterdam",), data_categories=("signal.themes",))


@pytest.fixture
def state() -> Deliberation:
    s = Deliberation()
    s.apply_meeting(Meeting(meeting_id="m1", scheduled_for=NOW, form="lio", chair=CHAIR))
    for sid in ("s1", "s2"):
        s.apply_registered(AgendaItem(signal_id=sid, registration_number=f"2026-00000{sid[-1]}", themes=(1,), subjects=((1, "pc:1"),)))
    return s


def proposed(outcome: str, details: dict, sharing: Sharing = Sharing(), signal_id: str = "s1", **kw) -> ProposedDecision:
    return ProposedDecision(meeting_id=kw.get("meeting_id", "m1"), signal_id=signal_id, reason=kw.get("reason", "omdat"),
                            decided_by=kw.get("decided_by", CHAIR), outcome=outcome, details=details, sharing=sharing)


def test_park_needs_a_review_date_and_shares_nothing(state: Deliberation) -> None:
    assert decide(state, proposed("park", {"review_on": None}), NOW) == [("park.review_on", "a parked signal needs a review date")]
    bad = decide(state, proposed("park", {"review_on": NOW + timedelta(days=30)}, REFERRAL_SHARING), NOW)
    assert [f for f, _ in bad] == ["sharing"]
    ok = decide(state, proposed("park", {"review_on": NOW + timedelta(days=30)}), NOW)
    assert ok.sharing is None and ok.registration_number == "2026-000001"


def test_referral_needs_grounds_legal_basis_purpose_recipients_and_categories(state: Deliberation) -> None:
    problems = decide(state, proposed("refer_to_riec", {"grounds": " "}), NOW)
    assert [f for f, _ in problems] == [
        "refer_to_riec.grounds", "sharing.legal_basis", "sharing.purpose", "sharing.recipients", "sharing.data_categories"]
    ok = decide(state, proposed("refer_to_riec", {"grounds": "aanwijzingen"}, REFERRAL_SHARING), NOW)
    assert ok.sharing == REFERRAL_SHARING


def test_multidisciplinary_local_approach_records_its_sharing(state: Deliberation) -> None:
    details = {"multidisciplinary": True, "lead_team": "th", "interventions": (), "teams": ("brp", "th")}
    assert [f for f, _ in decide(state, proposed("local_approach", details), NOW)] == ["sharing.legal_basis"]
    ok = decide(state, proposed("local_approach", details, Sharing(legal_basis="AVG 6.1.e", recipients=("brp",))), NOW)
    assert ok.sharing is not None
    mono = decide(state, proposed("local_approach", {"multidisciplinary": False, "lead_team": "th", "interventions": (), "teams": ()}), NOW)
    assert mono.sharing is None


def test_unknown_meeting_or_signal_and_missing_reason_or_chair(state: Deliberation) -> None:
    problems = decide(state, proposed("park", {"review_on": NOW}, meeting_id="nope", signal_id="nope", reason="", decided_by=None), NOW)
    assert [f for f, _ in problems] == ["meeting_id", "signal_id", "reason", "decided_by"]


def test_a_signal_is_decided_once_per_meeting(state: Deliberation) -> None:
    first = decide(state, proposed("park", {"review_on": NOW}), NOW)
    state.apply_decision(first)
    with pytest.raises(AlreadyDecided) as identical:
        decide(state, proposed("park", {"review_on": NOW}), NOW)
    assert identical.value.identical and identical.value.existing.decision_id == first.decision_id
    with pytest.raises(AlreadyDecided) as different:
        decide(state, proposed("refer_to_riec", {"grounds": "g"}, REFERRAL_SHARING), NOW)
    assert not different.value.identical


def test_agenda_holds_undecided_signals(state: Deliberation) -> None:
    state.apply_decision(decide(state, proposed("park", {"review_on": NOW}), NOW))
    assert [i.signal_id for i in state.agenda("m1")] == ["s1", "s2"]  # decided in this meeting: still listed
    state.apply_meeting(Meeting(meeting_id="m2", scheduled_for=NOW, form="gso", chair=CHAIR))
    assert [i.signal_id for i in state.agenda("m2")] == ["s2"]
