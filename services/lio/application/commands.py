"""Handlers for the LIO's commands. Each checks, publishes its fact, then folds it into the state.

Commands are serialised by one lock: "a signal is decided once per meeting" is checked and then
published, and two concurrent calls must not both pass the check. One LIO instance per
deployment (ADR 0007); a second would still never record two different decisions under one id.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from services.lio.domain.agenda import AlreadyChanged, add_item, defer_item
from services.lio.domain.decisions import AlreadyDecided, decide
from services.lio.domain.deliberation import Actor, AgendaChange, Attendance, Decision, Deliberation, Meeting, ProposedDecision
from services.lio.domain.forms import DeliberationRules


class DeliberationLog(Protocol):
    async def meeting_scheduled(self, meeting: Meeting) -> None: ...
    async def attendance_recorded(self, attendance: Attendance) -> None: ...
    async def agenda_item_added(self, change: AgendaChange) -> None: ...
    async def agenda_item_deferred(self, change: AgendaChange) -> None: ...
    async def decision_recorded(self, decision: Decision) -> None: ...


class Rejected(Exception):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {d}" for f, d in problems))
        self.problems = problems


class Conflict(Exception):
    """The signal was decided differently in this meeting before (gRPC ALREADY_EXISTS)."""


class LioCommands:
    def __init__(self, state: Deliberation, log: DeliberationLog, clock: Callable[[], datetime], rules: DeliberationRules) -> None:
        self._state = state
        self._log = log
        self._clock = clock
        self._rules = rules
        self._lock = asyncio.Lock()

    async def schedule_meeting(self, scheduled_for: datetime, form: str, chair: Actor | None) -> Meeting:
        form = form or self._rules.default_form
        problems: list[tuple[str, str]] = []
        meeting_form = self._rules.forms.get(form)
        if meeting_form is None:
            problems.append(("form", f"must be one of {', '.join(self._rules.forms)}"))
        if chair is None or not chair.complete:
            problems.append(("chair", "person_id, role and organisation are required"))
        elif meeting_form is not None:
            problems += [("chair", p) for p in meeting_form.chair_problems(chair)]
        if problems:
            raise Rejected(problems)
        assert chair is not None
        meeting = Meeting(meeting_id=str(uuid.uuid4()), scheduled_for=scheduled_for, form=form, chair=chair)
        async with self._lock:
            await self._log.meeting_scheduled(meeting)
            self._state.apply_meeting(meeting)
        return meeting

    async def record_attendance(self, meeting_id: str, attendee: Actor | None) -> bool:
        async with self._lock:
            meeting = self._state.meetings.get(meeting_id)
            if meeting is None:
                raise Rejected([("meeting_id", "no such meeting")])
            if attendee is None or not attendee.complete:
                raise Rejected([("attendee", "person_id, role and organisation are required")])
            known = self._state.attendance.get(meeting_id, {}).get(attendee.person_id)
            if known is not None:
                if known.attendee == attendee:
                    return False
                raise Rejected([("attendee", f"{attendee.person_id} is already recorded as {known.attendee.role} "
                                 f"for {known.attendee.organisation}")])
            problem = self._rules.forms[meeting.form].attendance_problem(attendee)
            if problem:
                raise Rejected([("attendee", problem)])
            attendance = Attendance(meeting_id=meeting_id, attendee=attendee, recorded_at=self._clock())
            await self._log.attendance_recorded(attendance)
            self._state.apply_attendance(attendance)
            return True

    async def add_agenda_item(self, meeting_id: str, signal_id: str, reason: str, by: Actor | None) -> bool:
        return await self._change(add_item, self._log.agenda_item_added, self._state.apply_added, meeting_id, signal_id, reason, by)

    async def defer_agenda_item(self, meeting_id: str, signal_id: str, reason: str, by: Actor | None) -> bool:
        return await self._change(defer_item, self._log.agenda_item_deferred, self._state.apply_deferred, meeting_id, signal_id, reason, by)

    async def _change(self, rule, publish, fold, meeting_id: str, signal_id: str, reason: str, by: Actor | None) -> bool:  # noqa: ANN001
        async with self._lock:
            try:
                result = rule(self._state, meeting_id, signal_id, reason, by, self._clock())
            except AlreadyChanged:
                return False
            if isinstance(result, list):
                raise Rejected(result)
            await publish(result)
            fold(result)
            return True

    async def record_decision(self, proposed: ProposedDecision) -> tuple[Decision, bool]:
        """(decision, recorded): recorded is False for an identical retry of a recorded decision."""
        async with self._lock:
            try:
                result = decide(self._state, self._rules, proposed, self._clock())
            except AlreadyDecided as already:
                if already.identical:
                    return already.existing, False
                raise Conflict(
                    f"signal already decided in this meeting (decision {already.existing.decision_id}); "
                    "a correction is a new decision with corrects_decision_id"
                ) from None
            if isinstance(result, list):
                raise Rejected(result)
            await self._log.decision_recorded(result)
            self._state.apply_decision(result)
            return result, True
