"""Logboek Dataverwerkingen (LDV) records from audit entries: one record per data subject.

Mapping (see ADR 0008):
- trace_id: the trace of the source event's W3C traceparent (the processing's own trace);
- span_id: first 8 bytes of SHA-256(entry_id || "\\n" || subject pseudonym): one span per data
  subject, stable across exports; parent_span_id: the source event's span;
- name: the processing activity id without version (e.g. "riec-doormelding");
- start_time = end_time = the decision time (a decision is an instant), else the recording time;
- status_code: STATUS_CODE_OK (only decisions that were taken are logged);
- dpl.core.processing_activity_id: the entry's register URI; dpl.core.data_subject_id: the
  keyed person pseudonym (never a BSN); dpl.core.data_subject_id_type: the register URI that
  defines that pseudonym.
Acknowledgements and feedback carry no subjects of their own: they inherit the subjects of the
referral they answer (same referral_id, earlier in the log). Entries without any person
subject describe no processing of identifiable personal data and give no record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from importlib import resources

from knooppunt.audit.v1.events_pb2 import AuditEntry
from services.audit.domain.queries import entry_time

SCHEMA_FILE = "ldv_record.schema.json"
RESOURCE = {"service.name": "knooppunt-audit", "service.namespace": "knooppunt"}


def load_schema() -> dict:
    return json.loads(resources.files("services.audit.adapters").joinpath(SCHEMA_FILE).read_text("utf-8"))


def _ms(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _trace(traceparent: str) -> tuple[str, str] | None:
    parts = traceparent.split("-")
    if len(parts) == 4 and len(parts[1]) == 32 and len(parts[2]) == 16 and parts[1] != "0" * 32:
        return parts[1].lower(), parts[2].lower()
    return None


def ldv_records(entries: Iterable[AuditEntry | None], subject_id_type: str) -> Iterator[dict]:
    subjects_of_referral: dict[str, list[str]] = {}
    for entry in entries:
        if entry is None:
            continue
        keys = [s.key for s in entry.subjects]
        if entry.referral_id:
            if keys:
                subjects_of_referral.setdefault(entry.referral_id, keys)
            else:
                keys = subjects_of_referral.get(entry.referral_id, [])
        if not keys or not entry.processing_activity_id:
            continue
        when = entry_time(entry)
        trace = _trace(entry.traceparent)
        trace_id = trace[0] if trace else hashlib.sha256(entry.entry_id.encode()).hexdigest()[:32]
        name = entry.processing_activity_id.rstrip("/").rsplit("/", 2)[-2]
        for key in dict.fromkeys(keys):
            span = hashlib.sha256(f"{entry.entry_id}\n{key}".encode()).hexdigest()[:16]
            record = {
                "trace_id": trace_id,
                "span_id": span,
                "status_code": "STATUS_CODE_OK",
                "name": name,
                "start_time": _ms(when) if when else "",
                "end_time": _ms(when) if when else "",
                "resource": {"attributes": dict(RESOURCE)},
                "attributes": {
                    "dpl.core.processing_activity_id": entry.processing_activity_id,
                    "dpl.core.data_subject_id": key,
                    "dpl.core.data_subject_id_type": subject_id_type,
                },
            }
            if trace:
                record["parent_span_id"] = trace[1]
            yield record
