"""The gate in front of registration's deciding: catch up after an assignment and after a reset."""

from __future__ import annotations

from services.registration.adapters.proto import segment_of
from services.registration.entrypoints.follow import CatchUpGate


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
