"""gRPC RegistrationService: queries over the register, and hit/no-hit."""

from __future__ import annotations

import grpc

from knooppunt.registration.v1 import registration_pb2, registration_pb2_grpc
from services.registration.adapters.proto import PROTO_TO_STATUS, entry_to_proto, ts
from services.registration.domain.register import Register

MAX_PAGE = 500
DEFAULT_PAGE = 50


class RegistrationServicer(registration_pb2_grpc.RegistrationServiceServicer):
    def __init__(self, register: Register) -> None:
        self._register = register

    async def GetSignal(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        entry = self._register.entries.get(request.signal_id)
        if entry is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no registered signal with id {request.signal_id!r}")
        return registration_pb2.GetSignalResponse(signal=entry_to_proto(entry))

    async def ListSignals(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        if request.page_size < 0 or request.page_size > MAX_PAGE:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"page_size must be between 0 and {MAX_PAGE}")
        size = request.page_size or DEFAULT_PAGE
        try:
            start = int(request.page_token or 0)
        except ValueError:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "page_token is not one this service gave out")
        status = PROTO_TO_STATUS.get(request.status) if request.status else None
        matches = []
        order = self._register.order
        position = start
        # Newest first: walk the registration order backwards from the token.
        while position < len(order) and len(matches) < size:
            entry = self._register.entries[order[len(order) - 1 - position]]
            position += 1
            if request.theme and request.theme not in entry.registration.themes:
                continue
            if status and entry.status != status:
                continue
            matches.append(entry_to_proto(entry))
        token = str(position) if position < len(order) else ""
        return registration_pb2.ListSignalsResponse(signals=matches, next_page_token=token)

    async def CheckSubject(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        if not request.subject.key:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "subject.key is required")
        stats = self._register.subjects.get(request.subject.key)
        if stats is None:
            return registration_pb2.CheckSubjectResponse(known=False)
        return registration_pb2.CheckSubjectResponse(
            known=True, known_since=ts(stats.first_seen), signal_count=len(stats.signal_ids)
        )
