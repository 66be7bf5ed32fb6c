"""Decision rules: each kind and what it must record, quorum, chair, once per signal per meeting, corrections."""

from __future__ import annotations

import pytest

from services.lio.domain.agenda import add_item
from services.lio.domain.decisions import AlreadyDecided, decide
from services.lio.domain.deliberation import Deliberation, FollowUp, Sharing
from tests.unit.lio.factories import (
    CHAIR, DAY1, MEMBER, MULTI_SHARING, REFERRAL_SHARING, RULES, days, local, meeting, park, proposed, register,
)


@pytest.fixture
def state() -> Deliberation:
    s = Deliberation()
    register(s, 1, 2)
    meeting(s, "m1")
    return s


def fields(result) -> list[str]:  # noqa: ANN001
    assert isinstance(result, list), result
    return [f for f, _ in result]


def test_no_decision_without_quorum() -> None:
    s = Deliberation()
    register(s, 1)
    meeting(s, "m1", quorum=False)
    problems = decide(s, RULES, proposed("m1", "s1", "no_action", {}), DAY1)
    assert problems == [
        ("meeting_id", "no quorum: the chair is not recorded as present"),
        ("meeting_id", "no quorum: 0 of at least 3 members present (the chair included)"),
        ("meeting_id", "no quorum: no member for politie present"),
    ]


def test_only_the_meetings_chair_decides(state: Deliberation) -> None:
    assert decide(state, RULES, proposed("m1", "s1", "no_action", {}, decided_by=MEMBER), DAY1) == [
        ("decided_by", "only the meeting's chair records its decisions")]


def test_park_needs_a_review_date_after_the_meeting_and_shares_nothing(state: Deliberation) -> None:
    assert fields(decide(state, RULES, park("m1", "s1", None), DAY1)) == ["park.review_on"]
    assert fields(decide(state, RULES, park("m1", "s1", DAY1), DAY1)) == ["park.review_on"]
    assert fields(decide(state, RULES, proposed("m1", "s1", "park", {"review_on": DAY1 + days(30)}, REFERRAL_SHARING), DAY1)) == ["sharing"]
    ok = decide(state, RULES, park("m1", "s1", DAY1 + days(30)), DAY1)
    assert ok.sharing is None and ok.registration_number == "2026-000001" and ok.decided_by == CHAIR


def test_no_action_closes_without_sharing(state: Deliberation) -> None:
    assert fields(decide(state, RULES, proposed("m1", "s1", "no_action", {}, MULTI_SHARING), DAY1)) == ["sharing"]
    ok = decide(state, RULES, proposed("m1", "s1", "no_action", {}), DAY1)
    assert ok.outcome == "no_action" and ok.sharing is None


def test_referral_needs_grounds_legal_basis_purpose_recipients_and_categories(state: Deliberation) -> None:
    problems = decide(state, RULES, proposed("m1", "s1", "refer_to_riec", {"grounds": " "}), DAY1)
    assert fields(problems) == ["refer_to_riec.grounds", "sharing.legal_basis", "sharing.purpose", "sharing.recipients",
                                "sharing.data_categories"]
    ok = decide(state, RULES, proposed("m1", "s1", "refer_to_riec", {"grounds": "meter overbrugd"}, REFERRAL_SHARING), DAY1)
    assert ok.sharing == REFERRAL_SHARING


def test_local_approach_uses_the_vocabulary_and_records_follow_ups(state: Deliberation) -> None:
    bad = local(interventions=("afpakken",), follow_ups=(FollowUp(action="", team="th", due_on=None),))
    assert fields(decide(state, RULES, proposed("m1", "s1", "local_approach", bad), DAY1)) == [
        "local_approach.interventions[0]", "local_approach.follow_ups[0].action", "local_approach.follow_ups[0].due_on"]
    follow = (FollowUp(action="terugkoppeling controle", team="team-toezicht-handhaving", due_on=DAY1 + days(42)),)
    ok = decide(state, RULES, proposed("m1", "s1", "local_approach", local(follow_ups=follow)), DAY1)
    assert ok.details["follow_ups"] == follow and ok.sharing is None


def test_multidisciplinary_shares_with_a_legal_basis_mono_shares_nothing(state: Deliberation) -> None:
    multi = local(True, teams=("team-brp", "team-toezicht-handhaving"))
    assert fields(decide(state, RULES, proposed("m1", "s1", "local_approach", multi), DAY1)) == ["sharing.legal_basis"]
    assert decide(state, RULES, proposed("m1", "s1", "local_approach", multi, MULTI_SHARING), DAY1).sharing == MULTI_SHARING
    assert fields(decide(state, RULES, proposed("m1", "s1", "local_approach", local(), MULTI_SHARING), DAY1)) == ["sharing"]


def test_unknown_meeting_or_signal_missing_reason_or_chair_and_bsn_in_text(state: Deliberation) -> None:
    problems = decide(state, RULES, proposed("nope", "nope", "no_action", {}, reason="", decided_by=None), DAY1)
    assert fields(problems) == ["meeting_id", "signal_id", "reason", "decided_by"]
    bsn = decide(state, RULES, proposed("m1", "s1", "no_action", {}, reason="betreft BSN 111222333"), DAY1)
    assert bsn == [("reason", "must not contain a BSN; refer to the registration number instead")]


def test_a_signal_is_decided_once_per_meeting(state: Deliberation) -> None:
    first = decide(state, RULES, park("m1", "s1", DAY1 + days(30)), DAY1)
    state.apply_decision(first)
    with pytest.raises(AlreadyDecided) as identical:
        decide(state, RULES, park("m1", "s1", DAY1 + days(30)), DAY1)
    assert identical.value.identical and identical.value.existing.decision_id == first.decision_id
    with pytest.raises(AlreadyDecided) as different:
        decide(state, RULES, proposed("m1", "s1", "no_action", {}), DAY1)
    assert not different.value.identical


def test_signals_not_on_the_agenda_are_not_decided(state: Deliberation) -> None:
    state.apply_decision(decide(state, RULES, proposed("m1", "s1", "no_action", {}), DAY1))
    meeting(state, "m2", DAY1 + days(28))
    assert decide(state, RULES, proposed("m2", "s1", "local_approach", local()), DAY1) == [
        ("signal_id", "not on the agenda of this meeting; the chair can add it")]


def test_an_explicit_correction_in_the_same_meeting(state: Deliberation) -> None:
    # 1. Parked with a mistyped review date; the chair corrects it in the same meeting.
    wrong = decide(state, RULES, park("m1", "s1", DAY1 + days(3000)), DAY1)
    state.apply_decision(wrong)
    fix = park("m1", "s1", DAY1 + days(90), corrects_decision_id=wrong.decision_id, reason="herbeoordeling over drie maanden")
    corrected = decide(state, RULES, fix, DAY1 + days(0))
    state.apply_decision(corrected)
    assert corrected.decision_id != wrong.decision_id and corrected.corrects_decision_id == wrong.decision_id
    # 2. The old decision stays; the meeting's decision is now the correction; a retry is recognised.
    assert state.decisions[wrong.decision_id] == wrong and state.effective_in("m1", "s1") == corrected
    with pytest.raises(AlreadyDecided) as retry:
        decide(state, RULES, fix, DAY1)
    assert retry.value.identical
    # 3. A decision is corrected once; a further correction corrects the correction.
    again = park("m1", "s1", DAY1 + days(60), corrects_decision_id=wrong.decision_id, reason="toch anders")
    with pytest.raises(AlreadyDecided) as conflict:
        decide(state, RULES, again, DAY1)
    assert not conflict.value.identical
    meeting(state, "m2", DAY1 + days(28))
    state.apply_added(add_item(state, "m2", "s1", "correctie", CHAIR, DAY1))
    assert decide(state, RULES, again.model_copy(update={"meeting_id": "m2"}), DAY1) == [
        ("corrects_decision_id", f"already corrected by decision {corrected.decision_id}; correct that one")]
    final = decide(state, RULES, again.model_copy(update={"meeting_id": "m2", "corrects_decision_id": corrected.decision_id}), DAY1)
    assert final.corrects_decision_id == corrected.decision_id


def test_a_correction_in_a_later_meeting_and_its_limits(state: Deliberation) -> None:
    first = decide(state, RULES, proposed("m1", "s1", "local_approach", local()), DAY1)
    state.apply_decision(first)
    meeting(state, "m2", DAY1 + days(28))
    fix = proposed("m2", "s1", "refer_to_riec", {"grounds": "nieuwe aanwijzingen"}, REFERRAL_SHARING, corrects_decision_id=first.decision_id)
    # Not on m2's agenda yet: the chair adds it first.
    assert fields(decide(state, RULES, fix, DAY1)) == ["signal_id"]
    state.apply_added(add_item(state, "m2", "s1", "correctie", CHAIR, DAY1))
    corrected = decide(state, RULES, fix, DAY1 + days(28))
    assert corrected.corrects_decision_id == first.decision_id and corrected.meeting_id == "m2"
    # A correction names a decision about the same signal, from this meeting or an earlier one.
    assert decide(state, RULES, proposed("m1", "s2", "no_action", {}, corrects_decision_id=first.decision_id), DAY1) == [
        ("corrects_decision_id", "no decision with this id about this signal")]
    state.apply_decision(corrected)
    assert decide(state, RULES, proposed("m1", "s1", "no_action", {}, corrects_decision_id=corrected.decision_id), DAY1) == [
        ("corrects_decision_id", "a correction is made in the same meeting or a later one")]


def test_sharing_is_recorded_as_given(state: Deliberation) -> None:
    ok = decide(state, RULES, proposed("m1", "s1", "refer_to_riec", {"grounds": "g"}, REFERRAL_SHARING), DAY1)
    assert ok.sharing == Sharing(**REFERRAL_SHARING.model_dump())
