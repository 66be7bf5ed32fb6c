"""Handlers for the LIO's commands. Each publishes its fact, then folds it into the state."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from services.lio.domain.deliberation import (
    MEETING_FORMS,
    Actor,
    AlreadyDecided,
    Decision,
    Deliberation,
    Meeting,
    ProposedDecision,
    decide,
)


class DeliberationLog(Protocol):
    async def meeting_scheduled(self, meeting: Meeting) -> None: ...
    async def decision_recorded(self, decision: Decision) -> None: ...


class Rejected(Exception):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {d}" for f, d in problems))
        self.problems = problems


class LioCommands:
    def __init__(self, state: Deliberation, log: DeliberationLog, clock: Callable[[], datetime], default_form: str) -> None:
        self._state = state
        self._log = log
        self._clock = clock
        self._default_form = default_form

    async def schedule_meeting(self, scheduled_for: datetime, form: str, chair: Actor | None) -> Meeting:
        form = form or self._default_form
        problems = []
        if form not in MEETING_FORMS:
            problems.append(("form", f"must be one of {', '.join(MEETING_FORMS)}"))
        if chair is None or not (chair.person_id and chair.role and chair.organisation):
            problems.append(("chair", "person_id, role and organisation are required"))
        if problems:
            raise Rejected(problems)
        meeting = Meeting(meeting_id=str(uuid.uuid4()), scheduled_for=scheduled_for, form=form, chair=chair)
        await self._log.meeting_scheduled(meeting)
        self._state.apply_meeting(meeting)
        return meeting

    async def record_decision(self, proposed: ProposedDecision) -> tuple[Decision, bool]:
        """(decision, recorded): recorded is False for an identical retry of a recorded decision."""
        try:
            result = decide(self._state, proposed, self._clock())
        except AlreadyDecided as already:
            if already.identical:
                return already.existing, False
            raise Rejected(
                [("signal_id", f"already decided in this meeting (decision {already.existing.decision_id}); "
                  "a correction is a new decision in a later meeting")]
            ) from None
        if isinstance(result, list):
            raise Rejected(result)
        await self._log.decision_recorded(result)
        self._state.apply_decision(result)
        return result, True
