"""Retention planning: periods per outcome, calendar arithmetic, persons kept while needed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.privacy.domain.retention import RetentionPolicy, SignalFacts, add_duration, plan

POLICY = RetentionPolicy("signaalregistratie/v1", {"default": "P5Y", "park": "P2Y", "undecided": "P1Y"})
T0 = datetime(2020, 1, 31, tzinfo=UTC)


def test_calendar_durations() -> None:
    assert add_duration(T0, "P1M") == datetime(2020, 2, 29, tzinfo=UTC)
    assert add_duration(T0, "P2Y") == datetime(2022, 1, 31, tzinfo=UTC)
    assert add_duration(T0, "P1Y1M1D") == datetime(2021, 3, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        add_duration(T0, "PT5H")


def test_signals_expire_per_outcome_and_persons_only_when_all_their_signals_have() -> None:
    parked = SignalFacts("s1", "2020-000001", T0, ("person:p1",), outcome="park", decided_at=T0)
    referred = SignalFacts("s2", "2020-000002", T0, ("person:p1", "person:p2"), outcome="refer_to_riec", decided_at=T0)
    undecided = SignalFacts("s3", "2020-000003", T0, ("person:p3",))
    now = datetime(2023, 1, 1, tzinfo=UTC)  # park (2y) and undecided (1y) have passed, refer (5y) not
    result = plan([parked, referred, undecided], POLICY, now, already_erased=set())
    keys = {e.key_id: e for e in result.expiries}
    assert set(keys) == {"signal:s1", "signal:s3", "person:p3"}  # p1 still named in s2
    assert keys["signal:s1"].rule == "signaalregistratie/v1#park"
    assert keys["signal:s3"].rule == "signaalregistratie/v1#undecided"
    assert result.kept == 1
    later = plan([parked, referred, undecided], POLICY, datetime(2026, 1, 1, tzinfo=UTC),
                 already_erased={"signal:s1", "signal:s3", "person:p3"})
    assert {e.key_id for e in later.expiries} == {"signal:s2", "person:p1", "person:p2"}
