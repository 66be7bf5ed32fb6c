"""In front of registration's deciding: catch up after an assignment and a reset; publish only fresh decisions."""

from __future__ import annotations

import pytest

from services.registration.adapters.proto import segment_of
from services.registration.entrypoints.follow import CatchUpGate, Lease, LeasedLog, LeaseExpired


class FakeFollower:
    def __init__(self) -> None:
        self.syncs = 0

    async def sync(self, topics=None) -> None:  # noqa: ANN001
        self.syncs += 1


async def test_decisions_for_new_partitions_wait_for_the_register_once() -> None:
    follower = FakeFollower()
    gate = CatchUpGate(follower)
    signal = next(f"s{i}" for i in range(100) if segment_of(f"s{i}") == 2)
    other = next(f"s{i}" for i in range(100) if segment_of(f"s{i}") == 4)
    gate.assigned({2})
    await gate.wait([other])  # not a new partition: no wait
    assert follower.syncs == 0
    await gate.wait([other, signal])
    await gate.wait([signal])
    assert follower.syncs == 1
    gate.hold_all()  # the register is folded again from offset 0: nothing is decided before it is done
    await gate.wait([other])
    assert follower.syncs == 2


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


class Log:
    def __init__(self) -> None:
        self.published: list = []

    async def append_many(self, items) -> None:  # noqa: ANN001
        self.published += items

    async def announce_filings(self, items) -> None:  # noqa: ANN001
        self.published += [("filed", i) for i in items]


async def test_decisions_are_not_published_once_the_lease_expired() -> None:
    # A process paused between deciding and publishing may have lost its partition meanwhile.
    clock, log = Clock(), Log()
    lease = Lease(5.0, clock)
    leased = LeasedLog(log, lease)
    lease.take()
    clock.now += 4.9
    await leased.append_many(["r1"])
    clock.now += 0.2  # 5.1 s after the decisions were taken
    with pytest.raises(LeaseExpired):
        await leased.append_many(["r2"])
    await leased.announce_filings(["r1"])  # announcements repeat known facts: they pass
    assert log.published == ["r1", ("filed", "r1")]
    lease.take()
    await leased.append_many(["r2"])
    assert log.published[-1] == "r2"


async def test_after_a_stall_the_next_decision_first_folds_what_was_published_meanwhile() -> None:
    follower = FakeFollower()
    gate = CatchUpGate(follower, stall_s=2.0)
    await gate.wait(["s1"])
    assert follower.syncs == 0
    gate._tick -= 3.0  # the watchdog did not run for 3 s: the process was frozen  # noqa: SLF001
    await gate.wait(["s1"])
    assert follower.syncs == 1
