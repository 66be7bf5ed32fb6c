"""The Kafka signal log writes in rounds: keys first (all acknowledged), then events; a failed
key round publishes nothing; callers waiting during a round join the next one; every caller
gets UNAVAILABLE by its own deadline. Fake key store and publisher, no broker."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka.errors import KafkaTimeoutError

from cloudevents_kafka.kafka import PublishUnavailable
from crypto_shredding import FieldCipher, InMemoryKeyStore, signal_key
from services.intake.adapters.kafka import KafkaSignalLog
from services.intake.adapters.sealing import SignalSealer
from tests.unit.intake.signal_log_contract import accepted


class Keys(InMemoryKeyStore):
    """Key store that records its rounds; a round can be held open or fail."""

    def __init__(self, journal: list) -> None:
        super().__init__()
        self.journal = journal
        self.release = asyncio.Event()
        self.release.set()
        self.fail: Exception | None = None

    async def ensure_keys(self, key_ids) -> None:  # noqa: ANN001
        key_ids = list(key_ids)
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        for k in key_ids:
            self.data_key(k, create=True)
        self.journal.append(("keys", key_ids))


class Publisher:
    def __init__(self, journal: list, keys: Keys) -> None:
        self.journal = journal
        self.keys = keys
        self.fail: Exception | None = None

    async def publish_many(self, events) -> list:  # noqa: ANN001
        await asyncio.sleep(0)
        if self.fail is not None:
            raise self.fail
        for e in events:  # an event is only ever published under a key that was stored
            assert self.keys.has_key(signal_key(e.key)), "event published before its key was stored"
            assert e.message.description == "" and e.message.sealed_description
        self.journal.append(("events", [e.key for e in events]))
        return []


def make(ack_timeout_s: float = 5.0) -> tuple[KafkaSignalLog, Keys, Publisher, list]:
    journal: list = []
    keys = Keys(journal)
    publisher = Publisher(journal, keys)
    return KafkaSignalLog(publisher, ack_timeout_s=ack_timeout_s, sealer=SignalSealer(keys)), keys, publisher, journal


async def test_keys_of_a_round_are_stored_before_any_of_its_events_and_sealed_values_open() -> None:
    log, keys, _, journal = make()
    signals = [accepted(f"r-{i}") for i in range(3)]
    await log.append_many(signals)
    ids = [s.signal_id for s in signals]
    assert journal == [("keys", [signal_key(i) for i in ids]), ("events", ids)]
    assert FieldCipher(keys).open(signal_key(ids[0]), FieldCipher(keys).seal(signal_key(ids[0]), "x", "a"), "a") == "x"


async def test_callers_waiting_during_a_round_join_the_next_one() -> None:
    log, keys, _, journal = make()
    keys.release.clear()
    first = asyncio.ensure_future(log.append_many([accepted("a")]))
    await asyncio.sleep(0.01)  # round 1 is waiting for its keys
    later = [asyncio.ensure_future(log.append_many([accepted(r)])) for r in ("b", "c", "d")]
    await asyncio.sleep(0.01)
    keys.release.set()
    await asyncio.gather(first, *later)
    rounds = [len(ids) for kind, ids in journal if kind == "events"]
    assert rounds == [1, 3]


async def test_a_failed_key_round_publishes_nothing_and_every_caller_hears_unavailable() -> None:
    log, keys, _, journal = make()
    keys.fail = KafkaTimeoutError()
    results = await asyncio.gather(log.append_many([accepted("a"), accepted("b")]), log.append_many([accepted("c")]),
                                   return_exceptions=True)
    assert all(isinstance(r, PublishUnavailable) for r in results)
    assert not [j for j in journal if j[0] == "events"]


async def test_a_failed_event_round_is_unavailable_for_every_caller_in_it() -> None:
    log, _, publisher, _ = make()
    publisher.fail = PublishUnavailable("broker went away")
    with pytest.raises(PublishUnavailable):
        await log.append_many([accepted("a"), accepted("b")])
    publisher.fail = None
    await log.append_many([accepted("a"), accepted("b")])  # the log recovers: the next round works


async def test_a_broker_that_never_acknowledges_gives_unavailable_by_each_callers_deadline() -> None:
    log, keys, _, journal = make(ack_timeout_s=0.3)
    keys.release.clear()  # the key round never completes
    t0 = time.monotonic()
    first = asyncio.ensure_future(log.append_many([accepted("a")]))
    await asyncio.sleep(0.1)
    second = asyncio.ensure_future(log.append_many([accepted("b")]))  # waits behind the stuck round
    for call, deadline in ((first, 0.3), (second, 0.4)):
        with pytest.raises(PublishUnavailable):
            await call
        assert time.monotonic() - t0 < deadline + 0.2
    assert not [j for j in journal if j[0] == "events"]
