"""Registering a batch: one round of acknowledgements, numbers in order, and a failure half-way
recovers to exactly what was published (nothing skipped, nothing registered twice)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from services.registration.application.registering import RegisterReceivedSignal
from services.registration.domain.register import ReceivedSignal, Register, Registration, Subject

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def received(signal_id: str) -> ReceivedSignal:
    return ReceivedSignal(event_id=f"ev-{signal_id}", signal_id=signal_id, channel=1, source="s", received_at=T0,
                          themes=(1,), subjects=(Subject(kind=1, key=f"pc:{signal_id}"),), description="d")


class Topic:
    """An in-memory signals.registered that can fail the n-th append."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.published: list[Registration] = []
        self.fail_at = fail_at
        self.calls = 0

    async def append_many(self, items: list[tuple[Registration, str]]) -> None:
        await asyncio.sleep(0)
        failed = False
        for registration, _ in items:  # like a broker: the others are stored, the n-th is not
            self.calls += 1
            if self.fail_at is not None and self.calls == self.fail_at:
                failed = True
                continue
            self.published.append(registration)
        if failed:
            raise RuntimeError("broker went away")

    async def announce_filings(self, items: list[tuple[Registration, str]]) -> None:
        await asyncio.sleep(0)


def handler(register: Register, topic: Topic) -> RegisterReceivedSignal:
    async def recover() -> None:  # what the service does: rebuild from the topic
        register.reset()
        for r in topic.published:
            register.apply_registration(r)

    return RegisterReceivedSignal(register, topic, clock=lambda: T0, recover=recover)


async def test_a_batch_is_numbered_in_order_and_duplicates_within_it_are_harmless() -> None:
    register, topic = Register(), Topic()
    done = await handler(register, topic).batch([(received(s), "") for s in ("a", "b", "a", "c")])
    assert [r.registration_number for r in done] == ["2026-0-000001", "2026-0-000002", "2026-0-000003"]
    assert [r.signal_id for r in topic.published] == ["a", "b", "c"]


async def test_a_failure_half_way_recovers_to_what_was_published_and_the_retry_completes() -> None:
    register, topic = Register(), Topic(fail_at=2)
    handle = handler(register, topic)
    batch = [(received(s), "") for s in ("a", "b", "c")]
    with pytest.raises(RuntimeError):
        await handle.batch(batch)
    assert set(register.entries) == {r.signal_id for r in topic.published} == {"a", "c"}
    await handle.batch(batch)  # the agent's retry
    assert sorted(r.signal_id for r in topic.published) == ["a", "b", "c"]
    assert len({r.registration_number for r in topic.published}) == 3
