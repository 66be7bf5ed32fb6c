"""Who is linked to which signal (attendance at a meeting with the signal on its agenda, or a decision
on it), and who took part in which meeting (present, chair, or an item added, deferred or decided)."""

from __future__ import annotations

from services.lio.domain.decisions import decide
from services.lio.domain.deliberation import Actor, AgendaChange, AgendaItem, Attendance, Deliberation
from services.lio.domain.involvement import involvement, person_key
from tests.unit.lio.factories import CHAIR, DAY1, MEMBER, POLICE, RULES, days, meeting, park, proposed, register

OUTSIDER = Actor(person_id="mw-99", role="lio-member", organisation="gemeente-maassluis")


def signals_of(state: Deliberation, actor: Actor) -> set[str]:
    return involvement(state).signals.get(person_key(actor), set())


def meetings_of(state: Deliberation, actor: Actor) -> set[str]:
    return involvement(state).meetings.get(person_key(actor), set())


def test_attending_links_to_every_signal_on_the_agenda() -> None:
    s = Deliberation()
    register(s, 1, 2)
    meeting(s, "m1")
    assert signals_of(s, MEMBER) == {"s1", "s2"} == signals_of(s, POLICE)


def test_never_attending_links_to_nothing() -> None:
    s = Deliberation()
    register(s, 1)
    meeting(s, "m1")
    assert signals_of(s, OUTSIDER) == set()
    # The same personnel number in another organisation is another person.
    assert signals_of(s, MEMBER.model_copy(update={"organisation": "politie"})) == set()


def test_the_chair_who_recorded_the_decision_is_linked_by_it() -> None:
    s = Deliberation()
    register(s, 1)
    meeting(s, "m1")
    s.apply_decision(decide(s, RULES, park("m1", "s1", DAY1 + days(30)), DAY1))
    # Even without the attendance (a rebuild that has not seen it yet), the decision links the chair.
    s.attendance.clear()
    assert signals_of(s, CHAIR) == {"s1"}
    assert signals_of(s, MEMBER) == set()


def test_a_signal_registered_after_a_meeting_was_not_on_its_agenda() -> None:
    s = Deliberation()
    meeting(s, "m1")
    s.apply_registered(AgendaItem(signal_id="late", registration_number="2026-000009", themes=(1,), subjects=(),
                                  registered_at=DAY1 + days(3)))
    s.apply_registered(AgendaItem(signal_id="early", registration_number="2026-000008", themes=(1,), subjects=(),
                                  registered_at=DAY1 - days(3)))
    assert signals_of(s, MEMBER) == {"early"}
    # The next meeting, which the member attends too, has it.
    later = meeting(s, "m2", when=DAY1 + days(7), quorum=False)
    s.apply_attendance(Attendance(meeting_id=later.meeting_id, attendee=MEMBER, recorded_at=later.scheduled_for))
    assert signals_of(s, MEMBER) == {"early", "late"}


def test_a_signal_decided_earlier_is_not_on_a_later_agenda() -> None:
    s = Deliberation()
    register(s, 1)
    meeting(s, "m1", quorum=True)
    s.apply_decision(decide(s, RULES, proposed("m1", "s1", "no_action", {}), DAY1))
    later = meeting(s, "m2", when=DAY1 + days(7), quorum=False)
    s.apply_attendance(Attendance(meeting_id=later.meeting_id, attendee=OUTSIDER, recorded_at=later.scheduled_for))
    assert signals_of(s, OUTSIDER) == set()


def test_being_present_or_chairing_is_taking_part_in_a_meeting() -> None:
    s = Deliberation()
    register(s, 1)
    meeting(s, "m1")  # chair, member and police present
    meeting(s, "m2", when=DAY1 + days(7), quorum=False)  # nobody recorded present yet
    assert meetings_of(s, MEMBER) == {"m1"} == meetings_of(s, POLICE)
    # The chair of both took part in both, even where nobody's attendance is recorded yet.
    assert meetings_of(s, CHAIR) == {"m1", "m2"}
    assert meetings_of(s, OUTSIDER) == set()
    # Chairing alone links to the meeting, not to the signals on its agenda.
    s.attendance.clear()
    assert signals_of(s, CHAIR) == set()


def test_an_item_added_deferred_or_decided_is_taking_part_in_its_meeting() -> None:
    s = Deliberation()
    register(s, 1)
    meeting(s, "m1")
    s.apply_decision(decide(s, RULES, proposed("m1", "s1", "no_action", {}), DAY1))
    for apply, meeting_id in ((s.apply_added, "m2"), (s.apply_deferred, "m3")):
        apply(AgendaChange(meeting_id=meeting_id, signal_id="s1", registration_number="2026-000001",
                           reason="nieuwe informatie", by=CHAIR, at=DAY1 + days(7)))
    # A rebuild that has folded the decision and the agenda changes but not yet the meetings or the
    # attendance (other partitions): the acts alone name the meetings.
    s.meetings.clear()
    s.attendance.clear()
    assert meetings_of(s, CHAIR) == {"m1", "m2", "m3"}
    assert meetings_of(s, MEMBER) == set()
