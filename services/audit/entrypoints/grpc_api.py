"""gRPC AuditService: read-only listing and verification of the log held in memory.

Appending is never possible through this API: the agents are the only way in.
"""

from __future__ import annotations

import grpc

from knooppunt.audit.v1 import audit_pb2, audit_pb2_grpc
from services.audit.application.writer import AuditLog
from services.audit.domain.chain import verify

MAX_PAGE = 500
DEFAULT_PAGE = 50


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit

    async def ListEntries(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        if request.page_size < 0 or request.page_size > MAX_PAGE:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"page_size must be between 0 and {MAX_PAGE}")
        if request.start_sequence < 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "start_sequence must not be negative")
        size = request.page_size or DEFAULT_PAGE
        entries = self._audit.entries
        found = []
        position = request.start_sequence
        while position < len(entries) and len(found) < size:
            entry = entries[position]
            position += 1
            if entry is None:
                continue  # unreadable stored bytes; VerifyLog reports them
            if request.signal_id and entry.signal_id != request.signal_id:
                continue
            if request.recipient and request.recipient not in entry.sharing.recipients:
                continue
            found.append(entry)
        more = position < len(entries)
        return audit_pb2.ListEntriesResponse(entries=found, next_sequence=position if more else 0)

    async def VerifyLog(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        result = verify(list(self._audit.values))
        return audit_pb2.VerifyLogResponse(
            ok=result.ok,
            entries_checked=result.entries_checked,
            head_hash=result.head_hex,
            first_bad_sequence=result.first_bad_sequence,
            problem=result.detail,
        )
