"""gRPC LioService: meetings, attendance, agenda, decisions and minutes.

Refusals are INVALID_ARGUMENT with field-level BadRequest details; a different decision about a
signal already decided in the meeting is ALREADY_EXISTS; Kafka trouble is UNAVAILABLE (retry).
"""

from __future__ import annotations

from datetime import UTC

import grpc
import structlog

from cloudevents_kafka.kafka import PublishUnavailable
from grpc_errors import bad_request
from grpc_security import caller_identity, personnel_number
from knooppunt.lio.v1 import lio_pb2, lio_pb2_grpc
from services.lio.adapters.proto import actor_from_proto, agenda_entry_to_proto, proposed_from_request
from services.lio.application.commands import Conflict, LioCommands, Rejected
from services.lio.domain.agenda import agenda
from services.lio.domain.deliberation import Deliberation
from services.lio.domain.forms import DeliberationRules
from services.lio.minutes.record import build
from services.lio.minutes.render import render

log = structlog.get_logger(__name__)


class LioServicer(lio_pb2_grpc.LioServiceServicer):
    def __init__(self, state: Deliberation, commands: LioCommands, rules: DeliberationRules, default_retention: str) -> None:
        self._state = state
        self._commands = commands
        self._rules = rules
        self._retention = default_retention

    async def _run(self, context: grpc.aio.ServicerContext, command, what: str):  # noqa: ANN001, ANN202
        try:
            return await command
        except Rejected as exc:
            await context.abort_with_status(bad_request(exc.problems))
        except Conflict as exc:
            await context.abort(grpc.StatusCode.ALREADY_EXISTS, str(exc))
        except PublishUnavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"Kafka is unavailable; {what} was not recorded, retry")

    @staticmethod
    async def _acting_in_own_name(context: grpc.aio.ServicerContext, field: str, actor, present: bool) -> None:  # noqa: ANN001
        """Whoever adds, defers or decides does so in their own name: with a personal staff
        certificate the actor's person_id must be the caller's personnel number (ADR 0012), so
        nobody can record a decision in someone else's name. An absent actor is left to the
        domain's own refusal; plaintext development mode has no caller to compare with."""
        identity = caller_identity(context)
        person = personnel_number(identity) if identity else None
        if present and identity is not None and actor.person_id != person:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"{field}.person_id must be the caller's own personnel number ({identity} acts only in its own name)")

    async def _meeting(self, meeting_id: str, context: grpc.aio.ServicerContext):  # noqa: ANN202
        meeting = self._state.meetings.get(meeting_id)
        if meeting is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no meeting {meeting_id!r}")
        return meeting

    async def ScheduleMeeting(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        if not request.HasField("scheduled_for"):
            await context.abort_with_status(bad_request([("scheduled_for", "required")]))
        meeting = await self._run(context, self._commands.schedule_meeting(
            request.scheduled_for.ToDatetime(tzinfo=UTC), request.form, actor_from_proto(request.chair, request.HasField("chair")),
        ), "the meeting")
        log.info("meeting_scheduled", meeting_id=meeting.meeting_id, form=meeting.form)
        return lio_pb2.ScheduleMeetingResponse(meeting_id=meeting.meeting_id)

    async def RecordAttendance(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        recorded = await self._run(context, self._commands.record_attendance(
            request.meeting_id, actor_from_proto(request.attendee, request.HasField("attendee"))), "the attendance")
        return lio_pb2.RecordAttendanceResponse(recorded=recorded)

    async def GetAgenda(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        meeting = await self._meeting(request.meeting_id, context)
        form = self._rules.forms.get(meeting.form)
        problems = form.quorum_problems(meeting.chair, self._state.present(meeting.meeting_id)) if form else ["unknown form"]
        return lio_pb2.GetAgendaResponse(
            items=[agenda_entry_to_proto(e) for e in agenda(self._state, meeting)], quorum_met=not problems, quorum_problems=problems,
        )

    async def AddAgendaItem(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        await self._acting_in_own_name(context, "added_by", request.added_by, request.HasField("added_by"))
        recorded = await self._run(context, self._commands.add_agenda_item(
            request.meeting_id, request.signal_id, request.reason, actor_from_proto(request.added_by, request.HasField("added_by"))),
            "the agenda change")
        return lio_pb2.AddAgendaItemResponse(recorded=recorded)

    async def DeferAgendaItem(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        await self._acting_in_own_name(context, "deferred_by", request.deferred_by, request.HasField("deferred_by"))
        recorded = await self._run(context, self._commands.defer_agenda_item(
            request.meeting_id, request.signal_id, request.reason,
            actor_from_proto(request.deferred_by, request.HasField("deferred_by"))), "the agenda change")
        return lio_pb2.DeferAgendaItemResponse(recorded=recorded)

    async def RecordDecision(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        await self._acting_in_own_name(context, "decided_by", request.decided_by, request.HasField("decided_by"))
        decision, recorded = await self._run(
            context, self._commands.record_decision(proposed_from_request(request, self._retention)), "the decision")
        log.info("decision_recorded", decision_id=decision.decision_id, outcome=decision.outcome, recorded=recorded)
        return lio_pb2.RecordDecisionResponse(decision_id=decision.decision_id, recorded=recorded)

    async def GetMinutes(self, request, context: grpc.aio.ServicerContext):  # noqa: ANN001
        await self._meeting(request.meeting_id, context)
        fmt = "html" if request.format == lio_pb2.MINUTES_FORMAT_HTML else "md"
        content_type, content = render(build(self._state, self._rules, request.meeting_id), fmt)
        return lio_pb2.GetMinutesResponse(content_type=content_type, content=content)
