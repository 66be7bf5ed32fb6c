"""Which entries an auditor's query selects: subject pseudonym, recipient, period, meeting, signal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from knooppunt.audit.v1.events_pb2 import AuditEntry


def entry_time(entry: AuditEntry) -> datetime | None:
    """When the decision was taken; without a decision time, when it was recorded."""
    for field in ("decided_at", "recorded_at"):
        if entry.HasField(field):
            return getattr(entry, field).ToDatetime(tzinfo=UTC)
    return None


def _utc(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@dataclass(frozen=True)
class EntryFilter:
    signal_id: str = ""
    recipient: str = ""
    subject_key: str = ""
    meeting_id: str = ""
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive

    def matches(self, entry: AuditEntry) -> bool:
        if self.signal_id and entry.signal_id != self.signal_id:
            return False
        if self.recipient and self.recipient not in entry.sharing.recipients:
            return False
        if self.subject_key and all(s.key != self.subject_key for s in entry.subjects):
            return False
        if self.meeting_id and entry.meeting_id != self.meeting_id:
            return False
        since, until = _utc(self.since), _utc(self.until)
        if since or until:
            when = entry_time(entry)
            if when is None or (since and when < since) or (until and when >= until):
                return False
        return True
