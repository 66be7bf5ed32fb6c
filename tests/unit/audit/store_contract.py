"""The behaviour every EntryStore must have; subclassed once per backend (memory, Kafka)."""

from __future__ import annotations

from knooppunt.audit.v1.events_pb2 import AuditEntry


class EntryStoreContract:
    async def make_store(self):  # noqa: ANN201
        raise NotImplementedError

    async def test_a_new_store_reads_nothing(self):
        store = await self.make_store()
        assert [v async for v in store.read_all()] == []

    async def test_written_entries_read_back_as_the_same_bytes_in_order(self):
        store = await self.make_store()
        written = []
        for i in range(3):
            entry = AuditEntry(sequence=i, entry_id=f"contract-{i}", source_event_id=f"s-{i}")
            position, value = await store.write(entry)
            # Positions count from 0; the returned bytes are exactly what is stored.
            assert position == i
            assert value == entry.SerializeToString(deterministic=True)
            written.append(value)
        assert [v async for v in store.read_all()] == written
