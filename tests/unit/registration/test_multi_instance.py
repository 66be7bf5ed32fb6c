"""Several registration instances: numbers per segment, registers that converge, conflicts found."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from services.registration.adapters.proto import registration_from_event, registration_to_event, segment_of
from services.registration.domain.digest import digest
from services.registration.domain.dossiers import number_order
from services.registration.domain.register import (
    REFERRED,
    ReceivedSignal,
    Register,
    Subject,
    decide_registration,
    number_problems,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ADDRESS = 1


def received(signal_id: str, *keys: str, segment: int | None = None) -> ReceivedSignal:
    return ReceivedSignal(event_id=f"ev-{signal_id}", signal_id=signal_id, channel=3, source="s", received_at=T0,
                          themes=(4,), subjects=tuple(Subject(kind=ADDRESS, key=k) for k in keys), description="d",
                          segment=segment_of(signal_id) if segment is None else segment)


def decide(register: Register, signal: ReceivedSignal, now: datetime = T0):  # noqa: ANN201
    reg = decide_registration(register, signal, now)
    register.apply_registration(reg)
    return reg


def test_each_segment_counts_up_on_its_own_and_numbers_never_collide() -> None:
    register = Register()
    numbers = [decide(register, received(f"s{i}", segment=i % 3)).registration_number for i in range(7)]
    assert numbers == ["2026-0-000001", "2026-1-000001", "2026-2-000001", "2026-0-000002", "2026-1-000002",
                       "2026-2-000002", "2026-0-000003"]
    assert decide(register, received("late", segment=1), T0.replace(year=2027)).registration_number == "2027-1-000001"


def test_old_numbers_are_folded_and_ordered_before_segmented_ones() -> None:
    register = Register()
    old = decide(register, received("old", segment=0)).model_copy(update={"registration_number": "2026-000417"})
    register = Register()
    assert register.apply_registration(old)
    new = decide(register, received("new", segment=0))
    assert new.registration_number == "2026-0-000001"  # the old sequence does not continue in a segment
    assert [s for _, s in register.order] == ["old", "new"]
    assert number_order("2026-000417") < number_order("2026-0-000001") < number_order("2026-5-000001")
    assert number_order("2026-5-000001") < number_order("2026-0-000002")
    with pytest.raises(ValueError):
        number_order("2026-x-1")


def test_the_segment_is_the_partition_kafka_puts_the_signal_in() -> None:
    # Kafka's default partitioner (murmur2, positive, modulo the partition count): known values.
    from aiokafka.partitioner import DefaultPartitioner

    for signal_id in ("a", "3f0c2b9e-1d4a-5b6c-8d7e-9f0a1b2c3d4e", "x" * 40):
        expected = DefaultPartitioner()(signal_id.encode(), list(range(6)), list(range(6)))
        assert segment_of(signal_id) == expected


def test_concurrent_dossiers_for_one_address_converge_in_every_fold_order() -> None:
    # Instance A decides segment 1, instance B segment 2; neither has seen the other's signal yet.
    a, b = Register(), Register()
    first = decide(a, received("a1", "pc:3141AB:12", segment=1))
    second = decide(b, received("b1", "pc:3141AB:12", segment=2), T0 + timedelta(seconds=1))
    assert first.filing().opened and second.filing().opened  # two dossiers were opened
    # Later signals on both sides, one of them linking further keys.
    third = decide(a, received("a2", "pc:3141AB:12", "bag:1", segment=1))
    events = [first, second, third]
    digests = set()
    for order in itertools.permutations(events):
        register = Register()
        for reg in order:
            register.apply_registration(reg)
        assert len({register.dossiers.dossier_of(s) for s in ("a1", "b1", "a2")}) == 1
        assert register.dossiers.dossier_of("b1") == "D-2026-1-000001"  # the lower number keeps its id
        digests.add(digest(register))
    # Each instance folds the other's registration when the follower reads it: the same register.
    a.apply_logged(second)
    for reg in events:
        b.apply_logged(reg)
    digests |= {digest(a), digest(b)}
    assert len(digests) == 1


def test_random_concurrent_deciders_converge() -> None:
    rng = random.Random(11)
    keys = [f"bag:{i}" for i in range(10)]
    instances = [Register() for _ in range(3)]
    published = []
    for i in range(90):
        owner = rng.randrange(3)
        reg = decide(instances[owner], received(f"s{i}", *rng.sample(keys, rng.randint(0, 2)), segment=owner))
        published.append(reg)
        if rng.random() < 0.3:  # now and then an instance's follower catches up with the log
            for reg_ in published:
                instances[rng.randrange(3)].apply_logged(reg_)
    for register in instances:
        for reg in published:
            register.apply_logged(reg)
    rebuilt = Register()
    for reg in rng.sample(published, len(published)):
        rebuilt.apply_registration(reg)
    assert len({digest(r) for r in [*instances, rebuilt]}) == 1


def test_a_registration_read_back_equals_the_one_decided() -> None:
    register = Register()
    reg = decide(register, received("s1", "pc:3141AB:12"))
    assert registration_from_event(registration_to_event(reg)) == reg
    assert register.apply_logged(registration_from_event(registration_to_event(reg)))
    assert "s1" in register.confirmed


def test_a_signal_decided_by_two_instances_is_found_and_the_first_in_the_log_counts() -> None:
    mine, theirs = Register(), Register()
    decided_here = decide(mine, received("s1", segment=4))
    decided_there = decide(theirs, received("s1", segment=4), T0 + timedelta(seconds=2))
    assert mine.apply_logged(decided_there) is False  # the caller folds the log again
    rebuilt = Register()
    for reg in (decided_there, decided_here):
        assert rebuilt.apply_logged(reg)  # a later copy in the log is passed over
    assert rebuilt.entries["s1"].registration == decided_there


def test_a_decision_folded_before_its_registration_still_sets_the_status() -> None:
    register = Register()
    register.apply_status("s1", REFERRED)
    decide(register, received("s1"))
    assert register.entries["s1"].status == REFERRED


def test_an_auditor_finds_gaps_and_repeats_per_segment() -> None:
    register = Register()
    for i in range(4):
        decide(register, received(f"s{i}", segment=i % 2))
    highest, problems = number_problems(register)
    assert highest == {(2026, 0): 2, (2026, 1): 2} and problems == []
    gap = decide(Register(), received("x", segment=1)).model_copy(update={"registration_number": "2026-1-000005"})
    twice = decide(Register(), received("y", segment=0)).model_copy(update={"registration_number": "2026-0-000002"})
    register.apply_registration(gap)
    register.apply_registration(twice)
    _, problems = number_problems(register)
    assert problems == ["2026 segment 0: 1 numbers given to more than one signal, first [2]",
                        "2026 segment 1: 2 numbers missing, first [3, 4]"]


def _read_back(reg):  # noqa: ANN001, ANN202
    """The record the follower reads for a registration this instance published."""
    from cloudevents_kafka import encode
    from cloudevents_kafka.kafka import ReplayedRecord

    headers, value = encode(registration_to_event(reg), source="/knooppunt/registration", subject=reg.signal_id)
    return ReplayedRecord("signals.registered", segment_of(reg.signal_id), 0, reg.signal_id.encode(), value, headers)


def _follower(register: Register):  # noqa: ANN202
    from services.registration.adapters.kafka import Unconfirmed
    from services.registration.entrypoints.follow import register_follower

    unconfirmed = Unconfirmed()
    follower = register_follower("127.0.0.1:1", register, keys=None, unconfirmed=unconfirmed)  # type: ignore[arg-type]
    return follower, unconfirmed


def test_own_registrations_are_confirmed_as_sent_and_anything_else_is_compared_in_full() -> None:
    register = Register()
    follower, unconfirmed = _follower(register)
    mine = decide(register, received("s1", segment=4))
    unconfirmed.add(mine, registration_to_event(mine).SerializeToString(deterministic=True))
    follower._handle(_read_back(mine))  # noqa: SLF001
    assert "s1" in register.confirmed and len(unconfirmed) == 0 and not follower._restart  # noqa: SLF001
    # Another instance decided s2 too, and its registration is the first in the log: found.
    mine_too = decide(register, received("s2", segment=4))
    unconfirmed.add(mine_too, registration_to_event(mine_too).SerializeToString(deterministic=True))
    theirs = decide(Register(), received("s2", segment=4), T0 + timedelta(seconds=2))
    follower._handle(_read_back(theirs))  # noqa: SLF001
    assert follower._restart  # noqa: SLF001 (the register is folded again from offset 0)


def test_an_own_registration_is_decoded_when_the_register_holds_another_one_for_the_signal() -> None:
    register = Register()
    follower, unconfirmed = _follower(register)
    mine = decide(register, received("s1", segment=4))
    unconfirmed.add(mine, registration_to_event(mine).SerializeToString(deterministic=True))
    # Meanwhile the register was folded again and holds another instance's registration of s1.
    register.reset()
    theirs = decide(Register(), received("s1", segment=4), T0 + timedelta(seconds=2))
    register.apply_registration(theirs)
    follower._handle(_read_back(mine))  # noqa: SLF001
    assert follower._restart and len(unconfirmed) == 1  # noqa: SLF001 (compared in full: a conflict)
