"""gRPC LioService: schedule meetings, read the agenda, record decisions."""

from __future__ import annotations

from datetime import UTC

import grpc
import structlog

from cloudevents_kafka.kafka import PublishUnavailable
from grpc_errors import bad_request
from knooppunt.lio.v1 import lio_pb2, lio_pb2_grpc
from services.lio.adapters.proto import actor_from_proto, agenda_item_to_proto, proposed_from_request
from services.lio.application.commands import LioCommands, Rejected
from services.lio.domain.deliberation import Deliberation

log = structlog.get_logger(__name__)


class LioServicer(lio_pb2_grpc.LioServiceServicer):
    def __init__(self, state: Deliberation, commands: LioCommands, default_retention: str) -> None:
        self._state = state
        self._commands = commands
        self._retention = default_retention

    async def ScheduleMeeting(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        if not request.HasField("scheduled_for"):
            await context.abort_with_status(bad_request([("scheduled_for", "required")]))
        try:
            meeting = await self._commands.schedule_meeting(
                request.scheduled_for.ToDatetime(tzinfo=UTC), request.form,
                actor_from_proto(request.chair, request.HasField("chair")),
            )
        except Rejected as exc:
            await context.abort_with_status(bad_request(exc.problems))
        except PublishUnavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "Kafka is unavailable; nothing was scheduled, retry")
        return lio_pb2.ScheduleMeetingResponse(meeting_id=meeting.meeting_id)

    async def GetAgenda(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        if request.meeting_id not in self._state.meetings:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no meeting {request.meeting_id!r}")
        items = self._state.agenda(request.meeting_id)
        return lio_pb2.GetAgendaResponse(items=[agenda_item_to_proto(i) for i in items])

    async def RecordDecision(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        try:
            decision, recorded = await self._commands.record_decision(proposed_from_request(request, self._retention))
        except Rejected as exc:
            code = grpc.StatusCode.ALREADY_EXISTS if exc.problems and "already decided" in exc.problems[0][1] else None
            if code is not None:
                await context.abort(code, str(exc))
            await context.abort_with_status(bad_request(exc.problems))
        except PublishUnavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "Kafka is unavailable; the decision was not recorded, retry")
        log.info("decision_recorded", decision_id=decision.decision_id, outcome=decision.outcome, recorded=recorded)
        return lio_pb2.RecordDecisionResponse(decision_id=decision.decision_id, recorded=recorded)
