"""The unusual-access review: volume, hours and links, each flagged with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.privacy.domain.access_review import Links, Read, ReviewRules, review

GET = "/knooppunt.registration.v1.RegistrationService/GetSignal"
WEEKDAY_NOON = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # Wednesday 12:00 in Amsterdam


def read(reader: str, at: datetime, signal: str = "s1", org: str = "gemeente-maassluis") -> Read:
    return Read(reader, org, GET, "voorbereiding", (f"signal_id={signal}",), at)


# mw-0043 attended a meeting with s1 on its agenda; the chair mw-0042 decided on s2.
DEALT_WITH = Links(dealt_with={("gemeente-maassluis", "mw-0043"): {"s1"}, ("gemeente-maassluis", "mw-0042"): {"s2"}})


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
    """A link of mw-0043 at the municipality says nothing about someone with that number elsewhere."""
    elsewhere = read("staff:mw-0043", WEEKDAY_NOON, "s1", org="gemeente-vlaardingen")
    assert [f.kind for f in review([elsewhere], DEALT_WITH, ReviewRules())] == ["no-link"]


def test_systems_are_not_held_to_the_case_link() -> None:
    """The auditor reads for review, not for cases: only volume and hours apply."""
    assert review([read("auditor:fg", WEEKDAY_NOON, "s9")], DEALT_WITH, ReviewRules()) == []


def test_links_from_the_lio_facts() -> None:
    """The whole rule on LIO facts: attended -> linked; never attended -> flagged; the deciding chair -> linked."""
    from services.lio.domain.decisions import decide
    from services.lio.domain.deliberation import Deliberation
    from services.lio.domain.involvement import involvement
    from tests.unit.lio.factories import DAY1, RULES, meeting, proposed, register

    lio = Deliberation()
    register(lio, 1)
    meeting(lio, "m1")  # chair mw-7, member mw-12 and the police present
    lio.apply_decision(decide(lio, RULES, proposed("m1", "s1", "no_action", {}), DAY1))
    links = Links(dealt_with=involvement(lio))
    flagged = {f.reader for f in review([read(who, WEEKDAY_NOON, "s1") for who in ("staff:mw-7", "staff:mw-12", "staff:mw-13")],
                                        links, ReviewRules())}
    assert flagged == {"staff:mw-13"}
