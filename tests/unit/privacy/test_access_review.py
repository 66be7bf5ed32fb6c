"""The unusual-access review: volume, hours and links, each flagged with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.privacy.domain.access_review import Read, ReviewRules, review

GET = "/knooppunt.registration.v1.RegistrationService/GetSignal"
WEEKDAY_NOON = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # Wednesday 12:00 in Amsterdam


def read(reader: str, at: datetime, signal: str = "s1", org: str = "gemeente") -> Read:
    return Read(reader, org, GET, "voorbereiding", (f"signal_id={signal}",), at)


def test_normal_reads_raise_nothing() -> None:
    assert review([read("lio:member", WEEKDAY_NOON)], {}, ReviewRules()) == []


def test_many_reads_in_one_day() -> None:
    reads = [read("lio:member", WEEKDAY_NOON + timedelta(minutes=i)) for i in range(4)]
    findings = review(reads, {}, ReviewRules(max_reads_per_day=3))
    assert [(f.kind, f.reader) for f in findings] == [("many-reads", "lio:member")]


def test_night_and_weekend_reads() -> None:
    night = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)  # 23:30 local
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    kinds = [f.kind for f in review([read("lio:member", night), read("lio:member", saturday)], {}, ReviewRules())]
    assert kinds == ["outside-hours", "outside-hours"]


def test_partner_reading_a_signal_not_referred_to_it() -> None:
    ok = read("partner:politie", WEEKDAY_NOON, "s1", org="politie")
    odd = read("partner:politie", WEEKDAY_NOON, "s2", org="politie")
    findings = review([ok, odd], {"s1": {"politie"}, "s2": {"belastingdienst"}}, ReviewRules())
    assert [(f.kind, f.detail) for f in findings] == [("no-link", "read signal s2 that was never referred to politie")]
