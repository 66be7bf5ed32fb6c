"""A canonical digest of the register: equal digests mean equal registers.

Covers every entry (number, status, channel, source, themes, subjects, times, description,
the filing decision) and every dossier (its root and members). Independent of the order in
which events were folded, so a rebuild from offset 0 can be compared with the live register.
"""

from __future__ import annotations

import hashlib
import json

from services.registration.domain.register import Register


def canonical(register: Register) -> dict:
    entries = []
    for signal_id in sorted(register.entries):
        entry = register.entries[signal_id]
        reg = entry.registration
        entries.append({
            "signal_id": signal_id, "number": reg.registration_number, "status": entry.status,
            "channel": reg.channel, "source": reg.source, "themes": list(reg.themes),
            "subjects": [[s.kind, s.key] for s in reg.subjects], "received_at": reg.received_at.isoformat(),
            "registered_at": reg.registered_at.isoformat(),
            "observed_at": reg.observed_at.isoformat() if reg.observed_at else None,
            "description_sha256": hashlib.sha256(reg.description.encode() + reg.sealed_description).hexdigest(),
            "filing": reg.filing().model_dump(mode="json"), "dossier": register.dossiers.dossier_of(signal_id),
        })
    dossiers = {}
    for signal_id in sorted(register.entries):
        dossiers.setdefault(register.dossiers.dossier_of(signal_id), []).append(signal_id)
    return {"entries": entries, "dossiers": dict(sorted(dossiers.items()))}


def digest(register: Register) -> tuple[str, int, int]:
    """(sha256 hex, signal count, dossier count)."""
    doc = canonical(register)
    data = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(data).hexdigest(), len(doc["entries"]), len(doc["dossiers"])
