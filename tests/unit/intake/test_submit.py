"""The SubmitSignal handler: idempotent, publishes before answering, nothing for refused input."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from services.intake.adapters.sources_file import FileSourceDirectory
from services.intake.application.submit import DeadlineExceeded, Forbidden, ReceiptIndex, Refused, SubmitSignal
from services.intake.domain.sources import Source
from services.intake.domain.signal import AcceptedSignal, SubjectInput, Submission


class MemoryLog:
    def __init__(self, fail: bool = False) -> None:
        self.appended: list[AcceptedSignal] = []
        self.fail = fail

    async def append_many(self, signals: list[AcceptedSignal]) -> None:
        await asyncio.sleep(0)  # let concurrent submissions interleave, as a broker round trip would
        if self.fail:
            raise RuntimeError("broker down")
        self.appended += signals


SOURCES = FileSourceDirectory({"s": Source(identity="s", channel=1, themes=frozenset({1}), anonymous_allowed=True)})


def handler(log: MemoryLog) -> SubmitSignal:
    return SubmitSignal(ReceiptIndex(), log, sources=SOURCES, pseudonym_key=b"k", valid_channels={1}, valid_themes={1},
                        clock=lambda: datetime(2026, 11, 29, tzinfo=UTC))


def sub(ref: str = "R-1", **kw) -> Submission:
    base = dict(channel=1, source="s", source_reference=ref, observed_at=None, themes=(1,), description="d",
                subjects=(SubjectInput(kind="vessel", name="Zeemeeuw"),), anonymous=True)
    return Submission(**{**base, **kw})


async def test_retry_returns_original_receipt_and_publishes_once() -> None:
    log = MemoryLog()
    submit = handler(log)
    first = await submit(sub())
    second = await submit(sub())
    assert not first.duplicate and second.duplicate
    assert second.signal_id == first.signal_id and second.received_at == first.received_at
    assert len(log.appended) == 1


async def test_concurrent_duplicates_publish_once() -> None:
    log = MemoryLog()
    submit = handler(log)
    results = await asyncio.gather(*(submit(sub()) for _ in range(20)))
    assert len(log.appended) == 1
    assert sum(not r.duplicate for r in results) == 1


async def test_refused_input_publishes_nothing() -> None:
    log = MemoryLog()
    result = await handler(log)(Submission(channel=9, source="s", source_reference="R", observed_at=None, themes=(),
                                          description="", subjects=(), anonymous=False))
    assert isinstance(result, Refused) and len(result.problems) == 3
    assert log.appended == []


async def test_failed_publish_gives_no_receipt_and_a_retry_publishes() -> None:
    log = MemoryLog(fail=True)
    submit = handler(log)
    try:
        await submit(sub())
        raise AssertionError("expected the publish failure to propagate")
    except RuntimeError:
        pass
    log.fail = False
    receipt = await submit(sub())
    assert not receipt.duplicate and len(log.appended) == 1


async def test_unknown_source_is_forbidden_and_publishes_nothing() -> None:
    log = MemoryLog()
    assert isinstance(await handler(log)(sub(source="stranger")), Forbidden)
    assert log.appended == []


async def test_source_configuration_is_enforced_field_by_field() -> None:
    strict = FileSourceDirectory({"s": Source(identity="s", channel=1, themes=frozenset({1}), anonymous_allowed=False)})
    log = MemoryLog()
    submit = SubmitSignal(ReceiptIndex(), log, sources=strict, pseudonym_key=b"k", valid_channels={1, 2},
                          valid_themes={1, 2}, clock=lambda: datetime(2026, 11, 29, tzinfo=UTC))
    result = await submit(sub(channel=2, themes=(1, 2), anonymous=True))
    assert isinstance(result, Refused)
    assert {p.field for p in result.problems} == {"signal.channel", "signal.themes[1]", "signal.anonymous"}
    assert log.appended == []


async def test_no_publication_starts_after_the_deadline() -> None:
    log = MemoryLog()
    submit = handler(log)
    try:
        await submit(sub(), may_publish=lambda: False)
        raise AssertionError("expected DeadlineExceeded")
    except DeadlineExceeded:
        pass
    assert log.appended == []
    # The retry within its deadline is accepted as a first submission.
    assert not (await submit(sub())).duplicate and len(log.appended) == 1
