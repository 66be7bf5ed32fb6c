"""gRPC RegistrationService: queries over the register, and hit/no-hit."""

from __future__ import annotations

import grpc

from cloudevents_kafka.kafka import PublishUnavailable
from grpc_errors import bad_request
from knooppunt.registration.v1 import registration_pb2, registration_pb2_grpc
from services.registration.adapters.kafka import DisclosureLog
from services.registration.adapters.proto import PROTO_TO_STATUS, entry_to_proto, ts
from services.registration.domain.register import Register

MAX_PAGE = 500
DEFAULT_PAGE = 50


class RegistrationServicer(registration_pb2_grpc.RegistrationServiceServicer):
    def __init__(self, register: Register, disclosures: DisclosureLog) -> None:
        self._register = register
        self._disclosures = disclosures

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
        problems = [(f, d) for f, d, missing in (
            ("subject.key", "required", not request.subject.key),
            ("asked_by", "person_id, role and organisation of the asker are required",
             not (request.asked_by.person_id and request.asked_by.role and request.asked_by.organisation)),
            ("purpose", "the purpose of the check is required and logged", not request.purpose.strip()),
        ) if missing]
        if problems:
            await context.abort_with_status(bad_request(problems))
        stats = self._register.subjects.get(request.subject.key)
        answer = registration_pb2.CheckSubjectResponse(known=stats is not None)
        if stats is not None:
            answer.known_since.CopyFrom(ts(stats.first_seen))
            answer.signal_count = len(stats.signal_ids)
        # The answer is itself a provision of data: it is logged before it is given.
        try:
            await self._disclosures.subject_checked(request, answer)
        except PublishUnavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the check could not be logged; no answer given, retry")
        return answer
