"""gRPC RegistrationService: queries over the register, and hit/no-hit."""

from __future__ import annotations

import bisect

import grpc

from cloudevents_kafka.kafka import PublishUnavailable
from grpc_errors import bad_request
from knooppunt.registration.v1 import registration_pb2, registration_pb2_grpc
from knooppunt.signal.v1 import signal_pb2
from services.registration.adapters.kafka import DisclosureLog
from prototime import from_timestamp
from services.registration.adapters.proto import PROTO_TO_STATUS, entry_to_proto, filing_to_proto, ts
from services.registration.domain.digest import digest
from services.registration.domain.dossiers import number_order
from services.registration.domain.register import Register

MAX_PAGE = 500
DEFAULT_PAGE = 50


class RegistrationServicer(registration_pb2_grpc.RegistrationServiceServicer):
    def __init__(self, register: Register, disclosures: DisclosureLog, reveal=None) -> None:  # noqa: ANN001
        self._register = register
        self._disclosures = disclosures
        # Opens the sealed description (crypto-shredding); "[gewist]" once its key is erased.
        self._reveal = reveal

    async def GetSignal(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        entry = self._register.entries.get(request.signal_id)
        if entry is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no registered signal with id {request.signal_id!r}")
        return registration_pb2.GetSignalResponse(signal=self._proto(entry))

    def _proto(self, entry) -> registration_pb2.RegisteredSignal:  # noqa: ANN001
        message = entry_to_proto(entry, self._register.dossiers.dossier_of(entry.registration.signal_id) or "")
        if entry.registration.sealed_description and self._reveal is not None:
            message.description = self._reveal(entry.registration.signal_id, entry.registration.sealed_description)
        return message

    async def ListSignals(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        problems = []
        if request.page_size < 0 or request.page_size > MAX_PAGE:
            problems.append(("page_size", f"must be between 0 and {MAX_PAGE}"))
        # The page token is the registration number of the last signal on the previous page:
        # stable while new signals are registered (keyset paging, newest first).
        try:
            before = number_order(request.page_token) if request.page_token else None
        except ValueError:
            before = None
            problems.append(("page_token", "is not one this service gave out"))
        period_from = from_timestamp(request.received_from) if request.HasField("received_from") else None
        period_to = from_timestamp(request.received_before) if request.HasField("received_before") else None
        if period_from and period_to and period_from >= period_to:
            problems.append(("received_before", "must lie after received_from"))
        if problems:
            await context.abort_with_status(bad_request(problems))
        size = request.page_size or DEFAULT_PAGE
        status = PROTO_TO_STATUS.get(request.status) if request.status else None
        order = self._register.order
        position = len(order) if before is None else bisect.bisect_left(order, (before, ""))
        matches = []
        last = ""
        while position > 0 and len(matches) < size:
            position -= 1
            entry = self._register.entries[order[position][1]]
            reg = entry.registration
            last = reg.registration_number
            if request.theme and request.theme not in reg.themes:
                continue
            if status and entry.status != status:
                continue
            if request.channel and reg.channel != request.channel:
                continue
            if (period_from and reg.received_at < period_from) or (period_to and reg.received_at >= period_to):
                continue
            matches.append(self._proto(entry))
        token = last if position > 0 else ""
        return registration_pb2.ListSignalsResponse(signals=matches, next_page_token=token)

    async def GetDossier(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        dossiers = self._register.dossiers
        if request.dossier_id not in dossiers:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no dossier with id {request.dossier_id!r}")
        root = dossiers.root(request.dossier_id)
        members = sorted(dossiers.members(root), key=lambda s: number_order(self._register.entries[s].registration.registration_number))
        dossier = registration_pb2.Dossier(dossier_id=root, merged_dossier_ids=dossiers.merged_into(root))
        seen: dict[str, int] = {}
        for signal_id in members:
            entry = self._register.entries[signal_id]
            filing = filing_to_proto(entry.registration.filing())
            dossier.members.add(signal=self._proto(entry), opened_dossier=filing.opened, reasons=filing.reasons,
                                merged_dossier_ids=filing.merged_dossier_ids)
            for s in entry.registration.subjects:
                seen.setdefault(s.key, s.kind)
        dossier.subjects.extend(signal_pb2.SubjectKey(kind=kind, key=key) for key, kind in seen.items())
        return registration_pb2.GetDossierResponse(dossier=dossier)

    async def GetRegisterDigest(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        sha, signals, dossiers = digest(self._register)
        return registration_pb2.GetRegisterDigestResponse(sha256=sha, signal_count=signals, dossier_count=dossiers)

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
