"""gRPC IntakeService. Answers only after Kafka acknowledged; refusals carry field details."""

from __future__ import annotations

import asyncio

import grpc
import structlog

from cloudevents_kafka.kafka import PublishUnavailable
from grpc_errors import bad_request
from knooppunt.intake.v1 import intake_pb2, intake_pb2_grpc
from services.intake.adapters.proto import receipt_to_proto, submission_from_proto
from services.intake.application.submit import Refused, SubmitSignal
from services.intake.domain.subjects import FieldProblem

log = structlog.get_logger(__name__)

MAX_SIGNALS_PER_STREAM = 100_000
# Signals published concurrently within one bulk stream; keeps order of receipts, bounds memory.
BULK_WINDOW = 256


def _refusal(problems, prefix: str = "") -> grpc.Status:  # noqa: ANN001
    return bad_request((prefix + p.field, p.description) for p in problems)


class IntakeServicer(intake_pb2_grpc.IntakeServiceServicer):
    def __init__(self, submit: SubmitSignal) -> None:
        self._submit = submit

    async def SubmitSignal(self, request: intake_pb2.SubmitSignalRequest, context: grpc.aio.ServicerContext):
        if not request.HasField("signal"):
            await context.abort_with_status(
                _refusal([FieldProblem(field="signal", description="required")])
            )
        try:
            result = await self._submit(submission_from_proto(request.signal))
        except PublishUnavailable as exc:
            log.warning("publish_unavailable", error=str(exc))
            await context.abort(grpc.StatusCode.UNAVAILABLE, "Kafka is unavailable; the signal was not accepted, retry safely")
        if isinstance(result, Refused):
            await context.abort_with_status(_refusal(result.problems))
        log.debug("signal_accepted", signal_id=result.signal_id, duplicate=result.duplicate)
        return intake_pb2.SubmitSignalResponse(receipt=receipt_to_proto(result))

    async def BulkSubmitSignals(self, request_iterator, context: grpc.aio.ServicerContext):
        receipts: list[intake_pb2.Receipt] = []
        pending: list[asyncio.Task] = []
        index = 0

        async def drain() -> None:
            for position, task in pending:
                try:
                    result = await task
                except PublishUnavailable:
                    await context.abort(
                        grpc.StatusCode.UNAVAILABLE,
                        f"Kafka is unavailable at signal {position}; signals before it were accepted, "
                        "resubmit the whole batch safely",
                    )
                if isinstance(result, Refused):
                    await context.abort_with_status(
                        _refusal(result.problems, prefix=f"signals[{position}].")
                    )
                receipts.append(receipt_to_proto(result))
            pending.clear()

        async for request in request_iterator:
            if index >= MAX_SIGNALS_PER_STREAM:
                await drain()
                await context.abort(
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    f"at most {MAX_SIGNALS_PER_STREAM} signals per stream; split the batch",
                )
            pending.append((index, asyncio.ensure_future(self._submit(submission_from_proto(request.signal)))))
            index += 1
            if len(pending) >= BULK_WINDOW:
                await drain()
        await drain()
        return intake_pb2.BulkSubmitSignalsResponse(receipts=receipts)
