"""gRPC AuditService: read-only listing, verification and proofs over the log held in memory.

Appending is never possible through this API: the agents are the only way in. Who may call
which method is the authorization table's business (deploy/policy/authorization.toml, role
`auditor`); per-auditor scoping (e.g. a partner seeing only its own entries) is a later issue.
"""

from __future__ import annotations

import grpc

from knooppunt.audit.v1 import audit_pb2, audit_pb2_grpc
from knooppunt.audit.v1.events_pb2 import AuditEntry
from services.audit.application.checkpoints import Checkpointer
from services.audit.application.writer import AuditLog
from services.audit.domain.chain import verify
from services.audit.domain.checkpoint import parse_body
from services.audit.domain.merkle import ProofError, consistency_proof, inclusion_proof
from services.audit.domain.queries import EntryFilter

MAX_PAGE = 500
DEFAULT_PAGE = 50


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    def __init__(self, audit: AuditLog, checkpointer: Checkpointer | None = None) -> None:
        self._audit = audit
        self._checkpointer = checkpointer

    async def ListEntries(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        if request.page_size < 0 or request.page_size > MAX_PAGE:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"page_size must be between 0 and {MAX_PAGE}")
        if request.start_sequence < 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "start_sequence must not be negative")
        size = request.page_size or DEFAULT_PAGE
        filt = EntryFilter(
            signal_id=request.signal_id, recipient=request.recipient, subject_key=request.subject_key,
            meeting_id=request.meeting_id,
            since=request.decided_from.ToDatetime() if request.HasField("decided_from") else None,
            until=request.decided_before.ToDatetime() if request.HasField("decided_before") else None,
        )
        entries = self._audit.entries
        found: list[AuditEntry] = []
        position = request.start_sequence
        while position < len(entries) and len(found) < size:
            entry = entries[position]
            position += 1
            if entry is None:
                continue  # unreadable stored bytes; VerifyLog reports them
            if filt.matches(entry):
                found.append(entry)
        more = position < len(entries)
        return audit_pb2.ListEntriesResponse(entries=found, next_sequence=position if more else 0)

    async def VerifyLog(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        # The service checks its own view; an auditor runs `knooppunt-audit verify` on Kafka.
        result = verify(list(self._audit.values))
        latest = self._latest()
        return audit_pb2.VerifyLogResponse(
            ok=result.ok,
            entries_checked=result.entries_checked,
            head_hash=result.head_hex,
            first_bad_sequence=result.first_bad_sequence,
            problem=result.detail,
            problem_kind=result.problem.value if result.problem else "",
            root_hash=result.root.hex(),
            checkpoints_checked=0,
            latest_checkpoint_size=latest[1] if latest else 0,
        )

    def _latest(self) -> tuple[str, int, bytes] | None:
        note = self._checkpointer.latest_note if self._checkpointer else None
        if not note:
            return None
        cp = parse_body(note.encode().split(b"\n\n", 1)[0] + b"\n")
        return note, cp.tree_size, cp.root_hash

    async def GetCheckpoint(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        latest = self._latest()
        if latest is None:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "no signed checkpoint yet")
        note, size, root = latest
        return audit_pb2.GetCheckpointResponse(checkpoint=note, tree_size=size, root_hash=root.hex())

    async def ProveInclusion(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        tree = self._audit.state.tree
        latest = self._latest()
        size = request.tree_size or (latest[1] if latest else tree.size)
        try:
            proof = inclusion_proof(tree.leaves, request.sequence, size)
        except ProofError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        note = latest[0] if latest and latest[1] == size else ""
        return audit_pb2.ProveInclusionResponse(
            sequence=request.sequence, tree_size=size, entry_bytes=self._audit.values[request.sequence] or b"",
            proof=proof, root_hash=tree.root(size), checkpoint=note,
        )

    async def ProveConsistency(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        tree = self._audit.state.tree
        try:
            proof = consistency_proof(tree.leaves, request.old_size, request.new_size)
        except ProofError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return audit_pb2.ProveConsistencyResponse(
            old_size=request.old_size, new_size=request.new_size, proof=proof,
            old_root_hash=tree.root(request.old_size), new_root_hash=tree.root(request.new_size),
        )
