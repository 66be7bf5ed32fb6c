"""The Kafka signal log meets the same SignalLog contract as the in-memory fake."""

from __future__ import annotations

import pytest

from cloudevents_kafka.kafka import EventPublisher
from services.intake.adapters.kafka import KafkaSignalLog, rebuild_receipt_index
from services.intake.application.submit import ReceiptIndex
from tests.unit.intake.signal_log_contract import SignalLogContract


class TestKafkaSignalLog(SignalLogContract):
    @pytest.fixture(autouse=True)
    async def _publishers(self, bootstrap: str):  # noqa: ANN202
        self.bootstrap = bootstrap
        self.started: list[EventPublisher] = []
        yield
        for p in self.started:
            await p.stop()

    async def make_log(self):  # noqa: ANN201
        publisher = EventPublisher(self.bootstrap, source="/knooppunt/intake")
        await publisher.start()
        self.started.append(publisher)
        return KafkaSignalLog(publisher)

    async def make_unavailable_log(self):  # noqa: ANN201
        # Never started: there is no broker connection that could acknowledge.
        return KafkaSignalLog(EventPublisher("127.0.0.1:1", source="/knooppunt/intake"))

    async def receipts_of(self, log):  # noqa: ANN001, ANN201
        index = ReceiptIndex()
        await rebuild_receipt_index(self.bootstrap, index)
        return list(index._by_key.values())  # noqa: SLF001
