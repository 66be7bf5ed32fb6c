"""The auditor's formats for replayed entries: one text line, a JSON object, a CSV row.

Pure formatting of what is stored; it must never add data the entry does not hold.
"""

from __future__ import annotations

import json
from datetime import UTC

from google.protobuf import json_format

from knooppunt.audit.v1.events_pb2 import AuditEntry, EntryKind

CSV_COLUMNS = (
    "sequence", "recorded_at", "decided_at", "kind", "actor_organisation", "actor_role", "actor_person_id",
    "meeting_id", "signal_id", "registration_number", "referral_id", "recipients", "data_categories",
    "legal_basis", "purpose", "retention_rule", "summary", "source_event_id", "source_event_type",
    "previous_chain_hash",
)


def _time(entry: AuditEntry, field: str) -> str:
    if not entry.HasField(field):
        return ""
    return getattr(entry, field).ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def kind_name(entry: AuditEntry) -> str:
    return EntryKind.Name(entry.kind).removeprefix("ENTRY_KIND_") if entry.kind in EntryKind.values() else str(entry.kind)


def text_line(entry: AuditEntry) -> str:
    s, a = entry.sharing, entry.actor
    when = _time(entry, "decided_at") or _time(entry, "recorded_at")
    return (
        f"#{entry.sequence} {when} {kind_name(entry)} by {a.organisation or '?'}/{a.role or '?'}"
        f" -> {', '.join(s.recipients) or '-'}"
        f" | basis: {s.legal_basis or '-'} | purpose: {s.purpose or '-'}"
        f" | reg: {entry.registration_number or '-'}"
    )


def json_line(entry: AuditEntry) -> str:
    data = json_format.MessageToDict(entry, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def csv_row(entry: AuditEntry) -> list[str]:
    s, a = entry.sharing, entry.actor
    return [
        str(entry.sequence), _time(entry, "recorded_at"), _time(entry, "decided_at"), kind_name(entry),
        a.organisation, a.role, a.person_id, entry.meeting_id, entry.signal_id, entry.registration_number,
        entry.referral_id, ";".join(s.recipients), ";".join(s.data_categories), s.legal_basis, s.purpose,
        s.retention_rule, entry.summary, entry.source_event_id, entry.source_event_type,
        entry.previous_chain_hash,
    ]
