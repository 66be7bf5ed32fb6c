"""The single writer: chains entries, never logs a source event twice, never skips one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from cloudevents_kafka.kafka import PublishUnavailable
from services.audit.application.writer import AuditLog
from services.audit.domain.chain import verify
from tests.unit.audit.factories import acknowledged, decision, envelope, issued
from tests.unit.audit.fakes import InMemoryEntryStore
from tests.unit.audit.store_contract import EntryStoreContract


class TestInMemoryEntryStore(EntryStoreContract):
    async def make_store(self):  # noqa: ANN201
        return InMemoryEntryStore()


async def new_log(store: InMemoryEntryStore | None = None) -> tuple[AuditLog, InMemoryEntryStore]:
    store = store or InMemoryEntryStore()
    audit = AuditLog(store, clock=lambda: datetime(2026, 3, 2, tzinfo=UTC))
    await audit.rebuild()
    return audit, store


async def test_appended_entries_form_a_valid_chain():
    audit, store = await new_log()
    for event in (decision(), issued(), acknowledged()):
        await audit.append(envelope(event))
    assert [e.sequence for e in audit.entries] == [0, 1, 2]
    result = verify(store.values)
    assert result.ok and result.entries_checked == 3


async def test_the_same_source_event_is_logged_once():
    audit, store = await new_log()
    env = envelope(decision())
    assert await audit.append(env) is not None
    assert await audit.append(env) is None
    assert len(store.values) == 1


async def test_dedupe_survives_a_restart():
    audit, store = await new_log()
    env = envelope(decision())
    await audit.append(env)
    # A new process rebuilds from the stored log and recognises the redelivered event.
    restarted, _ = await new_log(store)
    assert await restarted.append(env) is None
    assert len(store.values) == 1 and restarted.state.next_sequence == 1


async def test_events_that_give_no_entry_write_nothing():
    audit, store = await new_log()
    assert await audit.append(envelope(decision(sharing=False))) is None
    assert store.values == []


async def test_a_refused_write_raises_and_the_retry_logs_the_entry():
    audit, store = await new_log()
    env = envelope(decision())
    store.fail_next = "refuse"
    with pytest.raises(PublishUnavailable):
        await audit.append(env)
    assert await audit.append(env) is not None
    assert len(store.values) == 1 and verify(store.values).ok


async def test_a_write_stored_but_not_acknowledged_is_not_written_again():
    audit, store = await new_log()
    await audit.append(envelope(issued()))
    env = envelope(decision())
    store.fail_next = "ambiguous"
    with pytest.raises(PublishUnavailable):
        await audit.append(env)
    # The retry re-reads the log, finds the entry stored after all, and writes nothing.
    assert await audit.append(env) is None
    await audit.append(envelope(acknowledged()))
    assert len(store.values) == 3 and verify(store.values).ok


async def test_concurrent_appends_get_distinct_sequences():
    audit, store = await new_log()
    await asyncio.gather(*(audit.append(envelope(decision(f"sig-{i}"))) for i in range(20)))
    assert sorted(e.sequence for e in audit.entries) == list(range(20))
    assert verify(store.values).ok
