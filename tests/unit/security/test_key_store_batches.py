"""KafkaKeyStore.ensure_keys: every missing key is sent, all acknowledgements are awaited, and
only then are the keys usable; a failed round leaves none of its keys usable. A fake producer
stands in for the broker, one acknowledgement per record (the real one is in
tests/integration/test_key_store.py and test_publish_batched.py)."""

from __future__ import annotations

import asyncio
import os

import pytest
from aiokafka.errors import KafkaTimeoutError

from crypto_shredding.kafka_store import KafkaKeyStore


class Producer:
    """Records every record sent; the test settles the acknowledgements (one per record)."""

    def __init__(self) -> None:
        self.sent: list[tuple[list[bytes], asyncio.Future]] = []

    async def partitions_for(self, topic: str) -> set[int]:
        return {0}

    async def send(self, topic: str, *, value: bytes, key: bytes, headers, partition: int) -> asyncio.Future:  # noqa: ANN001
        future = asyncio.get_running_loop().create_future()
        self.sent.append(([key], future))
        return future


def store() -> tuple[KafkaKeyStore, Producer]:
    keys = KafkaKeyStore("unused:9092", "keys.subjects", os.urandom(32))
    keys._producer = producer = Producer()  # noqa: SLF001
    return keys, producer


async def test_ensure_keys_returns_only_when_every_key_is_acknowledged() -> None:
    keys, producer = store()
    call = asyncio.ensure_future(keys.ensure_keys(["signal:a", "signal:b", "signal:c"]))
    await asyncio.sleep(0.01)
    assert [k for batch, _ in producer.sent for k in batch] == [b"signal:a", b"signal:b", b"signal:c"]  # all at once
    assert len(producer.sent) == 3
    for _, ack in producer.sent[1:]:
        ack.set_result(None)
    await asyncio.sleep(0.01)
    assert not call.done() and not keys.has_key("signal:b")  # not usable before every ack
    producer.sent[0][1].set_result(None)
    await call
    assert all(keys.has_key(k) for k in ("signal:a", "signal:b", "signal:c"))
    await keys.ensure_keys(["signal:a"])  # known: nothing sent again
    assert len(producer.sent) == 3


async def test_a_failed_round_leaves_none_of_its_keys_usable_and_a_waiting_caller_fails_too() -> None:
    keys, producer = store()
    first = asyncio.ensure_future(keys.ensure_keys(["signal:a", "signal:b", "signal:c"]))
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(keys.ensure_keys(["signal:c"]))  # waits for the first caller's key
    await asyncio.sleep(0.01)
    assert len(producer.sent) == 3
    producer.sent[0][1].set_result(None)
    producer.sent[1][1].set_result(None)
    producer.sent[2][1].set_exception(KafkaTimeoutError())
    with pytest.raises(KafkaTimeoutError):
        await first
    with pytest.raises(LookupError):
        await second
    assert not any(keys.has_key(k) for k in ("signal:a", "signal:b", "signal:c"))
    # A retry stores new keys.
    retry = asyncio.ensure_future(keys.ensure_keys(["signal:c"]))
    await asyncio.sleep(0.01)
    producer.sent[-1][1].set_result(None)
    await retry
    assert keys.has_key("signal:c")
