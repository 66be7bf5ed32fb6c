"""consume_batches: events handled in order, in batches, acknowledged only after their batch was
handled (so offsets are committed only then), a failing batch retried whole, and the stream read
on while a batch is being handled."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from cloudevents_kafka import EventTypes, encode
from knooppunt.intake.v1 import events_pb2
from servicehost.agents import consume_batches

TYPES = EventTypes(events_pb2.SignalReceived)


@dataclass
class Message:
    headers: list
    value: bytes
    partition: int = 0
    offset: int = 0


@dataclass
class Event:
    message: Message


@dataclass
class Stream:
    """What consume_batches uses of a Faust agent's stream: noack(), events(), ack()."""

    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    acked: list[int] = field(default_factory=list)

    def noack(self) -> Stream:
        return self

    async def events(self):  # noqa: ANN201
        while True:
            yield await self.queue.get()

    async def ack(self, event: Event) -> bool:
        self.acked.append(event.message.offset)
        return True

    def put(self, offset: int, type_ok: bool = True) -> None:
        headers, value = encode(events_pb2.SignalReceived(signal_id=f"s{offset}"), source="/t", subject=f"s{offset}")
        if not type_ok:
            headers = [(k, b"nl.knooppunt.other.thing.v1" if k == "ce_type" else v) for k, v in headers]
        self.queue.put_nowait(Event(Message(headers, value, offset=offset)))


async def _run(stream: Stream, handle, until, **kwargs) -> None:  # noqa: ANN001
    ready = asyncio.Event()
    ready.set()
    task = asyncio.ensure_future(consume_batches(stream, TYPES, handle, ready=ready, topic="t", **kwargs))
    try:
        for _ in range(500):
            if until():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("not done in time")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_batches_in_order_acknowledged_only_after_they_were_handled() -> None:
    async def main() -> None:
        stream = Stream()
        handled: list[list[int]] = []
        early: list[int] = []  # offsets acknowledged before their batch was handled

        async def handle(envelopes) -> None:  # noqa: ANN001
            batch = [int(e.data.signal_id[1:]) for e in envelopes]
            early.extend(o for o in stream.acked if o >= batch[0])
            await asyncio.sleep(0.02)  # publishing: meanwhile the stream is read on
            handled.append(batch)

        for i in range(10):
            stream.put(i, type_ok=i != 3)  # another event type: passed over, acknowledged with its batch
        await _run(stream, handle, lambda: len(stream.acked) == 10, max_events=4, within_s=0.001)
        assert [o for batch in handled for o in batch] == [i for i in range(10) if i != 3]
        assert all(len(batch) <= 4 for batch in handled) and len(handled) >= 3
        assert stream.acked == list(range(10))
        assert early == []

    asyncio.run(main())


def test_a_failing_batch_is_retried_whole_and_nothing_is_acknowledged_before_it_succeeds() -> None:
    async def main() -> None:
        stream = Stream()
        calls: list[list[str]] = []

        async def handle(envelopes) -> None:  # noqa: ANN001
            calls.append([e.data.signal_id for e in envelopes])
            if len(calls) == 1:
                assert stream.acked == []
                raise RuntimeError("broker away")

        for i in range(3):
            stream.put(i)
        await _run(stream, handle, lambda: len(stream.acked) == 3, max_events=10, within_s=0.01)
        assert calls[0] == calls[1] == ["s0", "s1", "s2"]
        assert stream.acked == [0, 1, 2]

    asyncio.run(main())


def test_reads_ahead_at_most_one_batch_while_one_is_handled() -> None:
    async def main() -> None:
        stream = Stream()
        release = asyncio.Event()
        sizes: list[int] = []

        async def handle(envelopes) -> None:  # noqa: ANN001
            sizes.append(len(envelopes))
            await release.wait()

        for i in range(20):
            stream.put(i)
        ready = asyncio.Event()
        ready.set()
        task = asyncio.ensure_future(consume_batches(stream, TYPES, handle, ready=ready, topic="t", max_events=5,
                                                     within_s=0.001))
        await asyncio.sleep(0.1)
        assert sizes == [5] and stream.queue.qsize() == 10  # one batch handled, one read ahead, the rest waits
        release.set()
        for _ in range(100):
            if len(stream.acked) == 20:
                break
            await asyncio.sleep(0.01)
        assert sizes == [5, 5, 5, 5] and stream.acked == list(range(20))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
