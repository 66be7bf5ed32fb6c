"""KafkaKeyStore.ensure_keys: every missing key is sent, all acknowledgements are awaited, and
only then are the keys usable; a failed round leaves none of its keys usable. A fake producer
stands in for the broker, with batches of two records for a round (the real one is in
tests/integration/test_key_store.py and test_publish_batched.py)."""

from __future__ import annotations

import asyncio
import os

import pytest
from aiokafka.errors import KafkaTimeoutError

from cloudevents_kafka.kafka import BATCHED_FROM
from crypto_shredding.kafka_store import KafkaKeyStore


class Batch:
    """A producer batch holding at most two records, so that three keys take two batches."""

    def __init__(self) -> None:
        self.keys: list[bytes] = []
        self.closed = False

    def append(self, *, timestamp, key: bytes, value: bytes, headers) -> object | None:  # noqa: ANN001
        if self.closed or len(self.keys) == 2:
            return None
        self.keys.append(key)
        return type("Metadata", (), {"offset": len(self.keys) - 1})()

    def close(self) -> None:
        self.closed = True


class Producer:
    """Records every batch sent; the test settles the acknowledgements (one per batch)."""

    def __init__(self) -> None:
        self.sent: list[tuple[list[bytes], asyncio.Future]] = []

    async def send(self, topic: str, *, value: bytes, key: bytes, headers) -> asyncio.Future:  # noqa: ANN001
        future = asyncio.get_running_loop().create_future()
        self.sent.append(([key], future))
        return future

    async def partitions_for(self, topic: str) -> set[int]:
        return {0}

    def create_batch(self) -> Batch:
        return Batch()

    async def send_batch(self, batch: Batch, topic: str, *, partition: int) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.sent.append((batch.keys, future))
        return future


def store() -> tuple[KafkaKeyStore, Producer]:
    keys = KafkaKeyStore("unused:9092", "keys.subjects", os.urandom(32))
    keys._producer = producer = Producer()  # noqa: SLF001
    return keys, producer


# A few keys go out one send() each; a round of BATCHED_FROM or more in batches (of two here).
SIZES = pytest.mark.parametrize("count", [3, BATCHED_FROM + 3])


def _ids(count: int) -> list[str]:
    return [f"signal:{i}" for i in range(count)]


@SIZES
async def test_ensure_keys_returns_only_when_every_key_is_acknowledged(count: int) -> None:
    keys, producer = store()
    call = asyncio.ensure_future(keys.ensure_keys(_ids(count)))
    await asyncio.sleep(0.01)
    assert [k for batch, _ in producer.sent for k in batch] == [k.encode() for k in _ids(count)]  # all at once
    for _, future in producer.sent[1:]:
        future.set_result(None)
    await asyncio.sleep(0.01)
    assert not call.done() and not any(keys.has_key(k) for k in _ids(count))  # not usable before every ack
    producer.sent[0][1].set_result(None)
    await call
    assert all(keys.has_key(k) for k in _ids(count))
    sent = len(producer.sent)
    await keys.ensure_keys(_ids(1))  # known: nothing sent again
    assert len(producer.sent) == sent


@SIZES
async def test_a_failed_round_leaves_none_of_its_keys_usable_and_a_waiting_caller_fails_too(count: int) -> None:
    keys, producer = store()
    first = asyncio.ensure_future(keys.ensure_keys(_ids(count)))
    await asyncio.sleep(0.01)
    last = _ids(count)[-1]
    second = asyncio.ensure_future(keys.ensure_keys([last]))  # waits for the first caller's key
    await asyncio.sleep(0.01)
    sent = len(producer.sent)
    for _, future in producer.sent[:-1]:
        future.set_result(None)
    producer.sent[-1][1].set_exception(KafkaTimeoutError())
    with pytest.raises(KafkaTimeoutError):
        await first
    with pytest.raises(LookupError):
        await second
    assert len(producer.sent) == sent
    assert not any(keys.has_key(k) for k in _ids(count))
    # A retry stores new keys.
    retry = asyncio.ensure_future(keys.ensure_keys([last]))
    await asyncio.sleep(0.01)
    producer.sent[-1][1].set_result(None)
    await retry
    assert keys.has_key(last)
