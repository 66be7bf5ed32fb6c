"""The in-memory signal log meets the SignalLog contract (as the Kafka one does in integration)."""

from tests.unit.intake.fakes import MemorySignalLog
from tests.unit.intake.signal_log_contract import SignalLogContract


class TestMemorySignalLog(SignalLogContract):
    async def make_log(self):  # noqa: ANN201
        return MemorySignalLog()

    async def make_unavailable_log(self):  # noqa: ANN201
        log = MemorySignalLog()
        log.available = False
        return log

    async def receipts_of(self, log):  # noqa: ANN001, ANN201
        return await log.receipts()
