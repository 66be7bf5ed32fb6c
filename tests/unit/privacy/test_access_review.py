"""The unusual-access review: volume, hours and links (to signals, and to meetings whose agenda or
minutes were read), each flagged with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.privacy.domain.access_review import Links, Read, ReviewRules, review

GET = "/knooppunt.registration.v1.RegistrationService/GetSignal"
AGENDA = "/knooppunt.lio.v1.LioService/GetAgenda"
MINUTES = "/knooppunt.lio.v1.LioService/GetMinutes"
WEEKDAY_NOON = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # Wednesday 12:00 in Amsterdam


def read(reader: str, at: datetime, signal: str = "s1", org: str = "gemeente-maassluis") -> Read:
    return Read(reader, org, GET, "voorbereiding", (f"signal_id={signal}",), at)


# mw-0043 attended a meeting with s1 on its agenda; the chair mw-0042 decided on s2.
DEALT_WITH = Links(dealt_with={("gemeente-maassluis", "mw-0043"): {"s1"}, ("gemeente-maassluis", "mw-0042"): {"s2"}})


def meeting_read(reader: str, method: str, meeting_id: str, at: datetime = WEEKDAY_NOON, org: str = "gemeente-maassluis") -> Read:
    return Read(reader, org, method, "voorbereiding LIO-overleg", (f"meeting_id={meeting_id}",), at)


# m1 was held: mw-0043 was present, mw-0042 chaired it. m2 is scheduled (chair mw-0042), nobody recorded present yet.
MEETINGS = Links(took_part_in={("gemeente-maassluis", "mw-0043"): {"m1"}, ("gemeente-maassluis", "mw-0042"): {"m1", "m2"}},
                 meetings={"m1": 3, "m2": 0})
SIGNALS_AND_MEETINGS = Links(dealt_with=DEALT_WITH.dealt_with, took_part_in=MEETINGS.took_part_in, meetings=MEETINGS.meetings)


def test_normal_reads_raise_nothing() -> None:
    assert review([read("staff:mw-0043", WEEKDAY_NOON)], DEALT_WITH, ReviewRules()) == []


def test_many_reads_in_one_day() -> None:
    reads = [read("staff:mw-0043", WEEKDAY_NOON + timedelta(minutes=i)) for i in range(4)]
    findings = review(reads, DEALT_WITH, ReviewRules(max_reads_per_day=3))
    assert [(f.kind, f.reader) for f in findings] == [("many-reads", "staff:mw-0043")]


def test_night_and_weekend_reads() -> None:
    night = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)  # 23:30 local
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    kinds = [f.kind for f in review([read("staff:mw-0043", night), read("staff:mw-0043", saturday)], DEALT_WITH, ReviewRules())]
    assert kinds == ["outside-hours", "outside-hours"]


def test_partner_reading_a_signal_not_referred_to_it() -> None:
    ok = read("partner:politie", WEEKDAY_NOON, "s1", org="politie")
    odd = read("partner:politie", WEEKDAY_NOON, "s2", org="politie")
    findings = review([ok, odd], Links(referred_to={"s1": {"politie"}, "s2": {"belastingdienst"}}), ReviewRules())
    assert [(f.kind, f.detail) for f in findings] == [("no-link", "read signal s2 that was never referred to politie")]


def test_staff_who_attended_a_meeting_with_the_signal_is_linked() -> None:
    assert review([read("staff:mw-0043", WEEKDAY_NOON, "s1")], DEALT_WITH, ReviewRules()) == []


def test_staff_who_never_attended_is_flagged_once_with_the_reason() -> None:
    reads = [read("staff:mw-0045", WEEKDAY_NOON + timedelta(minutes=i), "s1") for i in range(3)]
    findings = review(reads, DEALT_WITH, ReviewRules())
    assert [(f.kind, f.reader) for f in findings] == [("no-link", "staff:mw-0045")]
    assert findings[0].detail == ("read signal s1 without a link: it was on the agenda of no meeting they attended "
                                  "and they made no decision on it")


def test_the_chair_who_recorded_the_decision_is_linked() -> None:
    findings = review([read("staff:mw-0042", WEEKDAY_NOON, "s2"), read("staff:mw-0042", WEEKDAY_NOON, "s1")],
                      DEALT_WITH, ReviewRules())
    assert [(f.kind, f.detail.split(" without")[0]) for f in findings] == [("no-link", "read signal s1")]


def test_a_link_is_personal_and_per_organisation() -> None:
    """A link of mw-0043 at the municipality (to a signal, to a meeting) says nothing about someone
    with that number elsewhere."""
    elsewhere = [read("staff:mw-0043", WEEKDAY_NOON, "s1", org="gemeente-vlaardingen"),
                 meeting_read("staff:mw-0043", AGENDA, "m1", org="gemeente-vlaardingen")]
    assert [f.kind for f in review(elsewhere, SIGNALS_AND_MEETINGS, ReviewRules())] == ["no-link", "no-link"]


def test_systems_are_not_held_to_the_case_link() -> None:
    """The auditor reads for review, not for cases or meetings: only volume and hours apply."""
    reads = [read("auditor:fg", WEEKDAY_NOON, "s9"), meeting_read("auditor:fg", MINUTES, "m1")]
    assert review(reads, SIGNALS_AND_MEETINGS, ReviewRules()) == []


def test_links_from_the_lio_facts() -> None:
    """The whole rule on LIO facts: attended -> linked; never attended -> flagged; the deciding chair -> linked."""
    from services.lio.domain.decisions import decide
    from services.lio.domain.deliberation import Deliberation
    from services.privacy.access_report import links_to
    from tests.unit.lio.factories import DAY1, RULES, meeting, proposed, register

    lio = Deliberation()
    register(lio, 1)
    meeting(lio, "m1")  # chair mw-7, member mw-12 and the police present
    lio.apply_decision(decide(lio, RULES, proposed("m1", "s1", "no_action", {}), DAY1))
    links = links_to(lio, referred={})
    flagged = {f.reader for f in review([read(who, WEEKDAY_NOON, "s1") for who in ("staff:mw-7", "staff:mw-12", "staff:mw-13")],
                                        links, ReviewRules())}
    assert flagged == {"staff:mw-13"}


def test_those_who_took_part_read_a_meetings_agenda_and_minutes_unflagged() -> None:
    reads = [meeting_read("staff:mw-0043", AGENDA, "m1"), meeting_read("staff:mw-0043", MINUTES, "m1"),
             meeting_read("staff:mw-0042", MINUTES, "m1"), meeting_read("staff:mw-0042", AGENDA, "m2")]
    assert review(reads, MEETINGS, ReviewRules()) == []


def test_reading_a_meeting_one_took_no_part_in_is_flagged_once_naming_the_meeting() -> None:
    reads = [meeting_read("staff:mw-0045", AGENDA, "m1", WEEKDAY_NOON + timedelta(minutes=i)) for i in range(2)]
    reads.append(meeting_read("staff:mw-0045", MINUTES, "m1", WEEKDAY_NOON + timedelta(minutes=5)))
    findings = review(reads, MEETINGS, ReviewRules())
    assert [(f.kind, f.reader, f.detail) for f in findings] == [(
        "no-link", "staff:mw-0045",
        "read the agenda (2x) and minutes of meeting m1 without taking part in it: not recorded present, not its chair, "
        "and no item of it added, deferred or decided by them")]


def test_a_member_absent_from_one_meeting_is_flagged_for_that_meeting_only() -> None:
    reads = [meeting_read("staff:mw-0043", MINUTES, "m1"), meeting_read("staff:mw-0043", AGENDA, "m2")]
    findings = review(reads, MEETINGS, ReviewRules())
    assert [(f.reader, f.detail.split(" without")[0]) for f in findings] == [("staff:mw-0043", "read the agenda of meeting m2")]
    # Nobody is recorded present at m2 yet: the reason says so, since a member preparing it is linked once they are.
    assert findings[0].detail.endswith("; no attendance is recorded for it yet (someone preparing it is linked once it is)")


def test_a_meeting_the_lio_does_not_know_is_flagged_as_such() -> None:
    findings = review([meeting_read("staff:mw-0043", AGENDA, "m-typo")], MEETINGS, ReviewRules())
    assert [f.detail for f in findings] == ["read the agenda of meeting m-typo, which the LIO has no record of"]


def test_taking_part_from_the_lio_facts() -> None:
    """The whole meeting rule on LIO facts: present or chair -> unflagged; absent -> flagged, per meeting."""
    from services.lio.domain.deliberation import Attendance, Deliberation
    from services.privacy.access_report import links_to
    from tests.unit.lio.factories import DAY1, MEMBER, days, meeting, register

    lio = Deliberation()
    register(lio, 1)
    meeting(lio, "m1")  # chair mw-7, member mw-12 and the police present
    later = meeting(lio, "m2", when=DAY1 + days(7), quorum=False)
    lio.apply_attendance(Attendance(meeting_id="m2", attendee=MEMBER.model_copy(update={"person_id": "mw-13"}),
                                    recorded_at=later.scheduled_for))
    links = links_to(lio, referred={})
    reads = [meeting_read(f"staff:{who}", AGENDA, m) for who in ("mw-7", "mw-12", "mw-13") for m in ("m1", "m2")]
    flagged = {(f.reader, f.detail.split(" of meeting ")[1].split()[0]) for f in review(reads, links, ReviewRules())}
    assert flagged == {("staff:mw-12", "m2"), ("staff:mw-13", "m1")}
