"""An in-memory signal log held to the same contract as the Kafka one (signal_log_contract.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from cloudevents_kafka.kafka import PublishUnavailable
from services.intake.adapters.sources_file import FileSourceDirectory
from services.intake.application.submit import Receipt, ReceiptIndex, SubmitSignal, receipt_for
from services.intake.domain.signal import AcceptedSignal

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
KEY = b"test-pseudonym-key"


class MemorySignalLog:
    def __init__(self) -> None:
        self.appended: list[AcceptedSignal] = []
        self.available = True

    async def append_many(self, signals: list[AcceptedSignal]) -> None:
        await asyncio.sleep(0)  # let concurrent submissions interleave, as a broker round trip would
        if not self.available:
            raise PublishUnavailable("the in-memory log is switched off")
        self.appended += signals

    async def receipts(self) -> list[Receipt]:
        return [receipt_for(s) for s in self.appended]


def make_submit(log, *, index: ReceiptIndex | None = None, clock=lambda: NOW) -> SubmitSignal:  # noqa: ANN001
    from services.intake.adapters.proto import CHANNELS, THEMES

    return SubmitSignal(index or ReceiptIndex(), log, sources=FileSourceDirectory.load(), pseudonym_key=KEY,
                        valid_channels=CHANNELS, valid_themes=THEMES, clock=clock)
