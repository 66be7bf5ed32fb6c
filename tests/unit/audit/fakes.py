"""An in-memory EntryStore, held to the same contract as the Kafka one."""

from __future__ import annotations

from collections.abc import AsyncIterator

from cloudevents_kafka.kafka import PublishUnavailable
from knooppunt.audit.v1.events_pb2 import AuditEntry


class InMemoryEntryStore:
    def __init__(self) -> None:
        self.values: list[bytes | None] = []
        # "refuse": nothing stored, error raised; "ambiguous": stored, but the ack is lost.
        self.fail_next: str | None = None

    async def write(self, entry: AuditEntry) -> tuple[int, bytes]:
        value = entry.SerializeToString(deterministic=True)
        mode, self.fail_next = self.fail_next, None
        if mode == "refuse":
            raise PublishUnavailable("broker unavailable")
        self.values.append(value)
        if mode == "ambiguous":
            raise PublishUnavailable("request timed out")
        return len(self.values) - 1, value

    async def read_all(self) -> AsyncIterator[bytes | None]:
        for value in list(self.values):
            yield value
