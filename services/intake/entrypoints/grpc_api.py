"""gRPC IntakeService. Answers only after Kafka acknowledged; refusals carry field details.

Order of checks for every signal: size, the contract's declarative rules (protovalidate), the
source's identity (PERMISSION_DENIED when unknown), the domain rules and the source's
configuration (INVALID_ARGUMENT with every bad field), the deadline, and only then publication.

Deadlines: no publication starts once the caller's deadline has passed (DEADLINE_EXCEEDED,
nothing published). A publication that started in time may complete after the caller gave
up; the caller cannot tell, so it retries, and the retry gets the original receipt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import grpc
import structlog
from google.protobuf.message import DecodeError

from cloudevents_kafka.kafka import PublishUnavailable
from grpc_security import caller_identity
from grpc_errors import bad_request
from knooppunt.intake.v1 import intake_pb2, intake_pb2_grpc
from services.intake.adapters.edge_rules import EdgeRules
from services.intake.adapters.proto import receipt_to_proto, submission_from_proto
from services.intake.application.submit import DeadlineExceeded, Forbidden, Receipt, Refused, SubmitSignal
from services.intake.domain.signal import Submission
from services.intake.domain.subjects import FieldProblem

log = structlog.get_logger(__name__)

MAX_SIGNALS_PER_STREAM = 100_000
# One signal on the wire; the largest valid one (10,000 characters, 50 subjects, 20 attachments)
# is far below this. The server's message limit (4 MiB) bounds each stream message as well.
MAX_SIGNAL_BYTES = 256 * 1024
# Signals of one bulk stream submitted together (keys and events in one round of acks each).
BULK_WINDOW = 500
# Less time than this left on the caller's deadline: do not start publishing.
MIN_SECONDS_TO_PUBLISH = 0.02


class Undecodable:
    """A request message that is not valid protobuf for its type (e.g. broken UTF-8 in a string)."""


UNDECODABLE = Undecodable()
_UNDECODABLE_PROBLEM = FieldProblem(field="request", description="is not a valid encoding of this message type")


def _tolerant(message_type):  # noqa: ANN001, ANN202
    # grpcio answers INTERNAL when a request cannot be parsed; to an integrator that is the
    # service's fault. It is theirs, so it is refused like any other bad input.
    def parse(data: bytes):  # noqa: ANN202
        try:
            return message_type.FromString(data)
        except DecodeError:
            return UNDECODABLE

    return parse


def add_to_server(servicer: IntakeServicer, server: grpc.aio.Server) -> None:
    """Like the generated add_IntakeServiceServicer_to_server, with tolerant request parsing."""
    handlers = {
        "SubmitSignal": grpc.unary_unary_rpc_method_handler(
            servicer.SubmitSignal,
            request_deserializer=_tolerant(intake_pb2.SubmitSignalRequest),
            response_serializer=intake_pb2.SubmitSignalResponse.SerializeToString,
        ),
        "BulkSubmitSignals": grpc.stream_unary_rpc_method_handler(
            servicer.BulkSubmitSignals,
            request_deserializer=_tolerant(intake_pb2.BulkSubmitSignalsRequest),
            response_serializer=intake_pb2.BulkSubmitSignalsResponse.SerializeToString,
        ),
    }
    name = intake_pb2.DESCRIPTOR.services_by_name["IntakeService"].full_name
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(name, handlers),))


# gRPC clients refuse trailing metadata above 8 KiB (and then report RESOURCE_EXHAUSTED
# instead of our answer), so a refusal lists at most this many fields and says how many more.
MAX_VIOLATIONS = 25


def _refusal(problems, prefix: str = "") -> grpc.Status:  # noqa: ANN001
    problems = list(problems)
    pairs = [(prefix + p.field, p.description[:200]) for p in problems[:MAX_VIOLATIONS]]
    if len(problems) > MAX_VIOLATIONS:
        pairs.append((prefix + "signal", f"{len(problems) - MAX_VIOLATIONS} more problems not listed; fix the ones above first"))
    return bad_request(pairs)


def _deadline_guard(context: grpc.aio.ServicerContext) -> Callable[[], bool]:
    def may_publish() -> bool:
        remaining = context.time_remaining()
        return remaining is None or remaining > MIN_SECONDS_TO_PUBLISH

    return may_publish


class IdentityMismatch(Exception):
    """The submission names a source other than the caller's certificate."""


def _source_of(identity: str | None) -> str | None:
    """The source a certificate identity may submit as: ``source:X`` and ``partner:X`` -> X."""
    if identity is None:
        return None
    kind, _, name = identity.partition(":")
    return name if kind in ("source", "partner") else None


class IntakeServicer(intake_pb2_grpc.IntakeServiceServicer):
    def __init__(self, submit: SubmitSignal, rules: EdgeRules) -> None:
        self._submit = submit
        self._rules = rules

    def _check(self, request, identity: str | None) -> Submission | Refused:  # noqa: ANN001
        """The edge checks of one request message: a submission for the domain, or a refusal.
        Raises IdentityMismatch when an authenticated caller submits under another source's name."""
        if request is UNDECODABLE:
            return Refused(problems=(_UNDECODABLE_PROBLEM,))
        allowed = _source_of(identity)
        if identity is not None and request.signal.source and request.signal.source != allowed:
            raise IdentityMismatch(f"{identity} may not submit as source {request.signal.source!r}")
        if request.ByteSize() > MAX_SIGNAL_BYTES:
            return Refused(problems=(FieldProblem(field="signal", description=f"at most {MAX_SIGNAL_BYTES} bytes per signal"),))
        problems = self._rules.problems(request)
        if problems:
            return Refused(problems=tuple(problems))
        return submission_from_proto(request.signal)

    async def SubmitSignal(self, request: intake_pb2.SubmitSignalRequest, context: grpc.aio.ServicerContext):
        try:
            result = self._check(request, caller_identity(context))
            if not isinstance(result, Refused):
                result = await self._submit(result, may_publish=_deadline_guard(context))
        except IdentityMismatch as exc:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(exc))
        except PublishUnavailable as exc:
            log.warning("publish_unavailable", error=str(exc))
            await context.abort(grpc.StatusCode.UNAVAILABLE, "Kafka is unavailable; the signal was not accepted, retry safely")
        except DeadlineExceeded:
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline passed before publication; nothing was accepted")
        if isinstance(result, Forbidden):
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "this source is not configured to submit signals")
        if isinstance(result, Refused):
            await context.abort_with_status(_refusal(result.problems))
        log.debug("signal_accepted", signal_id=result.signal_id, duplicate=result.duplicate)
        return intake_pb2.SubmitSignalResponse(receipt=receipt_to_proto(result))

    async def BulkSubmitSignals(self, request_iterator, context: grpc.aio.ServicerContext):
        """Signals are checked as they arrive and submitted a window at a time: a window's keys
        and events are written together (one round of acknowledgements each) while the next
        window is being read, and receipts follow in order. The first refused signal ends the
        stream: the ones before it are submitted first, the ones after it never."""
        receipts: list[intake_pb2.Receipt] = []
        window: list[Submission] = []
        submitting: tuple[int, asyncio.Future] | None = None
        may_publish = _deadline_guard(context)
        identity = caller_identity(context)

        async def settle() -> None:
            """Wait for the window being submitted; its receipts, or the end of the stream."""
            nonlocal submitting
            if submitting is None:
                return
            (first, task), submitting = submitting, None
            try:
                results = await task
            except PublishUnavailable as exc:
                log.warning("publish_unavailable", error=str(exc))
                await context.abort(
                    grpc.StatusCode.UNAVAILABLE,
                    f"Kafka is unavailable at signal {first}; signals before it were accepted, "
                    "resubmit the whole batch safely",
                )
            except DeadlineExceeded:
                await context.abort(
                    grpc.StatusCode.DEADLINE_EXCEEDED, f"deadline passed at signal {first}; resubmit the whole batch safely"
                )
            for position, result in enumerate(results, start=first):
                await _refuse_unless_receipt(context, position, result)
                receipts.append(receipt_to_proto(result))

        async def submit_window() -> None:
            # One window in flight: the previous one must be settled (it may end the stream).
            nonlocal submitting
            await settle()
            if window:
                first = len(receipts)
                submitting = (first, asyncio.ensure_future(self._submit.many(list(window), may_publish=may_publish)))
                window.clear()

        index = 0
        try:
            async for request in request_iterator:
                if index >= MAX_SIGNALS_PER_STREAM:
                    await submit_window()
                    await settle()
                    await context.abort(
                        grpc.StatusCode.RESOURCE_EXHAUSTED,
                        f"at most {MAX_SIGNALS_PER_STREAM} signals per stream; split the batch",
                    )
                try:
                    checked = self._check(request, identity)
                except IdentityMismatch as exc:
                    await submit_window()
                    await settle()
                    await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"signals[{index}]: {exc}")
                if isinstance(checked, Refused):
                    await submit_window()
                    await settle()
                    await _refuse_unless_receipt(context, index, checked)
                window.append(checked)
                index += 1
                if len(window) >= BULK_WINDOW:
                    await submit_window()
            await submit_window()
            await settle()
        finally:
            if submitting is not None:  # the stream ended early (cancelled): the window's outcome is moot
                submitting[1].cancel()
                submitting[1].add_done_callback(lambda t: t.cancelled() or t.exception())
        return intake_pb2.BulkSubmitSignalsResponse(receipts=receipts)


async def _refuse_unless_receipt(context: grpc.aio.ServicerContext, position: int, result) -> None:  # noqa: ANN001
    if isinstance(result, Forbidden):
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, f"signals[{position}]: this source is not configured to submit signals")
    if isinstance(result, Refused):
        await context.abort_with_status(_refusal(result.problems, prefix=f"signals[{position}]."))
