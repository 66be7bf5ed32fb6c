"""What every SignalLog must do; subclassed once per backend (in memory, Kafka)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from cloudevents_kafka.kafka import PublishUnavailable
from services.intake.domain.signal import AcceptedSignal, Attachment, Reporter
from services.intake.domain.subjects import SubjectKey


def accepted(ref: str) -> AcceptedSignal:
    return AcceptedSignal(
        signal_id=str(uuid.uuid4()), channel=4, source="energieleverancier", source_reference=ref,
        observed_at=None, received_at=datetime(2026, 11, 29, 12, 0, 0, 123000, tzinfo=UTC), themes=(1,),
        description="meter overbrugd", subjects=(SubjectKey(kind="address", key="pc:3141AB:12"),), anonymous=False,
        attachments=(Attachment(uri="https://dms.example/a/1", media_type="image/jpeg", sha256="0" * 64),),
        reporter=Reporter(name="A. Melder"),
    )


class SignalLogContract:
    async def make_log(self):  # noqa: ANN201
        """A log that is available."""
        raise NotImplementedError

    async def make_unavailable_log(self):  # noqa: ANN201
        """A log whose backend does not acknowledge."""
        raise NotImplementedError

    async def receipts_of(self, log) -> list:  # noqa: ANN001
        """Every receipt that can be rebuilt from what the log holds."""
        raise NotImplementedError

    async def test_an_appended_signal_can_be_read_back_as_its_receipt(self) -> None:
        # Step 1: append returns only when the signal is stored.
        log = await self.make_log()
        signal = accepted(f"contract-{uuid.uuid4()}")
        await log.append_many([signal])
        # Step 2: the receipt rebuilt from the log equals the one handed out.
        found = [r for r in await self.receipts_of(log) if r.source_reference == signal.source_reference]
        assert [(r.signal_id, r.received_at) for r in found] == [(signal.signal_id, signal.received_at)]

    async def test_an_unavailable_log_raises_publish_unavailable(self) -> None:
        log = await self.make_unavailable_log()
        with pytest.raises(PublishUnavailable):
            await log.append_many([accepted(f"contract-{uuid.uuid4()}")])
