"""The central register: registered once, numbered per year, hit/no-hit, idempotent folding."""

from __future__ import annotations

from datetime import UTC, datetime

from services.registration.domain.register import (
    REFERRED,
    ReceivedSignal,
    Register,
    Subject,
    decide_registration,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def received(signal_id: str, *keys: str) -> ReceivedSignal:
    return ReceivedSignal(event_id=f"ev-{signal_id}", signal_id=signal_id, channel=1, source="s", received_at=T0,
                          themes=(1,), subjects=tuple(Subject(kind=1, key=k) for k in keys), description="d")


def test_numbers_count_up_per_year_and_restart_in_a_new_year() -> None:
    register = Register()
    numbers = []
    for i, when in enumerate([T0, T0, datetime(2027, 1, 2, tzinfo=UTC)]):
        reg = decide_registration(register, received(f"s{i}"), when)
        register.apply_registration(reg)
        numbers.append(reg.registration_number)
    assert numbers == ["2026-0-000001", "2026-0-000002", "2027-0-000001"]


def test_a_signal_is_registered_once() -> None:
    register = Register()
    reg = decide_registration(register, received("s1"), T0)
    assert register.apply_registration(reg) is True
    assert decide_registration(register, received("s1"), T0) is None
    # Folding the same event twice (a replay, a redelivery) changes nothing.
    assert register.apply_registration(reg) is False
    assert len(register.entries) == 1 and [s for _, s in register.order] == ["s1"]


def test_rebuilding_from_events_gives_the_same_register() -> None:
    live = Register()
    events = []
    for i in range(5):
        reg = decide_registration(live, received(f"s{i}", "kvk:12345678"), T0)
        live.apply_registration(reg)
        events.append(reg)
    rebuilt = Register()
    for reg in events + events[:2]:  # with duplicates, as at-least-once delivery may give
        rebuilt.apply_registration(reg)
    assert rebuilt.order == live.order
    assert rebuilt.next_number(2026) == live.next_number(2026) == "2026-0-000006"
    assert rebuilt.subjects["kvk:12345678"].signal_ids == live.subjects["kvk:12345678"].signal_ids


def test_hit_no_hit_counts_signals_per_subject() -> None:
    register = Register()
    for i, keys in enumerate([("pc:3141AB:12",), ("pc:3141AB:12", "kvk:1"), ("kvk:1",)]):
        register.apply_registration(decide_registration(register, received(f"s{i}", *keys), T0))
    assert len(register.subjects["pc:3141AB:12"].signal_ids) == 2
    assert "pc:9999ZZ:1" not in register.subjects


def test_status_follows_decisions() -> None:
    register = Register()
    register.apply_registration(decide_registration(register, received("s1"), T0))
    register.apply_status("s1", REFERRED)
    register.apply_status("unknown", REFERRED)  # a decision about a signal not (yet) here is harmless
    assert register.entries["s1"].status == REFERRED


def test_an_erased_person_is_no_longer_known_but_new_signals_make_them_known_again() -> None:
    register = Register()
    for i in range(2):
        register.apply_registration(decide_registration(register, received(f"s{i}", "person:abc"), T0))
    register.forget_subject("person:abc", T0)
    assert "person:abc" not in register.subjects
    register.forget_subject("person:abc", T0)  # idempotent
    later = datetime(2026, 6, 1, tzinfo=UTC)
    register.apply_registration(decide_registration(register, received("s9", "person:abc"), later))
    assert register.subjects["person:abc"].signal_ids == {"s9"}
