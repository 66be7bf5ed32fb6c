"""Agenda building: new signals, parked signals due for review (by the meeting's date), additions, deferrals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.lio.domain import agenda as ag
from services.lio.domain.agenda import AlreadyChanged, add_item, agenda, defer_item
from services.lio.domain.decisions import decide
from services.lio.domain.deliberation import Deliberation
from tests.unit.lio.factories import CHAIR, DAY1, MEMBER, RULES, days, local, meeting, park, proposed, register


@pytest.fixture
def state() -> Deliberation:
    s = Deliberation()
    register(s, 1, 2, 3)
    meeting(s, "m1")
    return s


def summary(state: Deliberation, meeting_id: str) -> list[tuple[str, str, str]]:
    return [(e.item.signal_id, e.reason, e.state) for e in agenda(state, state.meetings[meeting_id])]


def record(state: Deliberation, p) -> None:  # noqa: ANN001
    result = decide(state, RULES, p, state.meetings[p.meeting_id].scheduled_for)
    assert not isinstance(result, list), result
    state.apply_decision(result)


def test_new_signals_await_deliberation_and_decided_ones_stay_listed_in_their_meeting(state: Deliberation) -> None:
    assert summary(state, "m1") == [("s1", ag.AWAITING, ag.OPEN), ("s2", ag.AWAITING, ag.OPEN), ("s3", ag.AWAITING, ag.OPEN)]
    record(state, proposed("m1", "s1", "local_approach", local()))
    assert summary(state, "m1")[0] == ("s1", ag.AWAITING, ag.DECIDED)
    # The next meeting no longer lists it: it has a standing decision that is not due for review.
    meeting(state, "m2", DAY1 + days(28))
    assert [sid for sid, _, _ in summary(state, "m2")] == ["s2", "s3"]


def test_a_parked_signal_returns_when_a_meetings_date_reaches_its_review_date(state: Deliberation) -> None:
    # 1. Parked in m1 until 1 February 2027.
    record(state, park("m1", "s1", datetime(2027, 2, 1, tzinfo=UTC)))
    # 2. A meeting on 31 January does not see it; one on 1 February (local date) does, by itself.
    meeting(state, "jan", datetime(2027, 1, 31, 20, tzinfo=UTC))
    meeting(state, "feb", datetime(2027, 1, 31, 23, 30, tzinfo=UTC))  # 00:30 on 1 February in Maassluis
    assert "s1" not in [sid for sid, _, _ in summary(state, "jan")]
    assert ("s1", ag.REVIEW_DUE, ag.OPEN) in summary(state, "feb")
    # 3. Decided again at review: it leaves the agendas of later meetings.
    record(state, proposed("feb", "s1", "no_action", {}))
    meeting(state, "mar", datetime(2027, 3, 1, tzinfo=UTC))
    assert "s1" not in [sid for sid, _, _ in summary(state, "mar")]


def test_the_chair_adds_a_signal_decided_earlier(state: Deliberation) -> None:
    record(state, proposed("m1", "s1", "local_approach", local()))
    meeting(state, "m2", DAY1 + days(28))
    change = add_item(state, "m2", "s1", "Bibob-advies ontvangen; nieuw besluit nodig", CHAIR, DAY1)
    state.apply_added(change)
    assert ("s1", ag.ADDED_BY_CHAIR, ag.OPEN) in summary(state, "m2")
    with pytest.raises(AlreadyChanged):  # a retry records nothing new
        add_item(state, "m2", "s1", "Bibob-advies ontvangen; nieuw besluit nodig", CHAIR, DAY1)
    assert add_item(state, "m2", "s2", "dubbel", CHAIR, DAY1) == [("signal_id", "already on the agenda (awaiting_deliberation, open)")]
    assert add_item(state, "m2", "s3", "x", MEMBER, DAY1) == [("by", "only the meeting's chair changes its agenda")]


def test_a_deferred_item_returns_on_the_next_agenda_until_decided(state: Deliberation) -> None:
    record(state, proposed("m1", "s1", "local_approach", local()))
    meeting(state, "m2", DAY1 + days(28))
    state.apply_added(add_item(state, "m2", "s1", "nieuwe informatie", CHAIR, DAY1))
    # 1. Deferred in m2: listed as deferred, and it cannot be decided there.
    state.apply_deferred(defer_item(state, "m2", "s1", "wacht op informatie van de politie", CHAIR, DAY1))
    assert ("s1", ag.ADDED_BY_CHAIR, ag.DEFERRED) in summary(state, "m2")
    assert decide(state, RULES, proposed("m2", "s1", "no_action", {}), DAY1) == [
        ("signal_id", "deferred in this meeting; it returns on the next agenda")]
    # 2. It returns on m3 by itself, and on m4 while nobody decides it.
    meeting(state, "m3", DAY1 + days(56))
    meeting(state, "m4", DAY1 + days(84))
    assert ("s1", ag.DEFERRED_EARLIER, ag.OPEN) in summary(state, "m3")
    assert ("s1", ag.DEFERRED_EARLIER, ag.OPEN) in summary(state, "m4")
    record(state, proposed("m3", "s1", "no_action", {}))
    assert "s1" not in [sid for sid, _, _ in summary(state, "m4")]


def test_decided_items_cannot_be_deferred(state: Deliberation) -> None:
    record(state, proposed("m1", "s1", "no_action", {}))
    assert defer_item(state, "m1", "s1", "later", CHAIR, DAY1) == [
        ("signal_id", "already decided in this meeting; a correction is a new decision")]
    assert defer_item(state, "m1", "s2", "", CHAIR, DAY1) == [("reason", "an agenda change needs a written reason")]


def test_facts_fold_in_any_order(state: Deliberation) -> None:
    # A rebuild may see a decision before its meeting (different partitions): the result is the same.
    other = Deliberation()
    register(other, 1, 2, 3)
    record(state, proposed("m1", "s1", "no_action", {}))
    decision = next(iter(state.decisions.values()))
    other.apply_decision(decision)
    other.apply_decision(decision)  # a duplicate changes nothing
    meeting(other, "m1")
    assert summary(other, "m1") == summary(state, "m1") and len(other.decisions) == 1


def test_the_agenda_lists_signals_in_the_order_they_were_registered_across_partitions() -> None:
    # Numbers are contiguous per partition (ADR 0011): 2026-5-000001 was registered before
    # 2026-1-000002, so it comes first, although it sorts after it as a string.
    from services.lio.domain.deliberation import AgendaItem

    s = Deliberation()
    for sid, number, minute in (("late", "2026-1-000002", 30), ("early", "2026-5-000001", 10), ("mid", "2026-1-000001", 20)):
        s.apply_registered(AgendaItem(signal_id=sid, registration_number=number, themes=(1,), subjects=(),
                                      registered_at=datetime(2026, 3, 2, 9, minute, tzinfo=UTC)))
    meeting(s, "m1")
    assert [sid for sid, _, _ in summary(s, "m1")] == ["early", "mid", "late"]
