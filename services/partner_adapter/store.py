"""The partner's store in the reference adapter: an append-only JSON-lines file, deduplicated on referral_id.

Replace this with your own case system; keep the two properties: a referral is on disk before
it is acknowledged, and a referral_id seen before is not stored again (delivery is at-least-once).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from google.protobuf.json_format import MessageToDict

from knooppunt.referral.v1 import events_pb2


class ReceivedFile:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.ids = {json.loads(line)["referral_id"] for line in path.open(encoding="utf-8") if line.strip()} \
            if path.exists() else set()

    def store(self, referral: events_pb2.Referral) -> bool:
        """True when stored now; False when this referral_id was stored before."""
        if referral.referral_id in self.ids:
            return False
        record = MessageToDict(referral, preserving_proto_field_name=True)
        record.pop("redelivery", None)  # how often it was sent is not part of what was received
        record.setdefault("omitted", [])
        record.setdefault("data_categories", [])
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())  # stored means on disk, before we acknowledge
        self.ids.add(referral.referral_id)
        return True
