"""Agenda building, and the chair's changes to an agenda (add an item, defer an item).

A meeting's agenda holds, per registered signal, at most one entry: new signals awaiting
deliberation, parked signals whose review date is on or before the meeting's date, items the
chair added, and items an earlier meeting deferred. Items decided or deferred in the meeting
stay listed with that state, so that the agenda and the minutes tell the same story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.lio.domain.deliberation import PARK, Actor, AgendaChange, AgendaItem, Deliberation, Decision, Meeting, local_day
from services.lio.domain.text import text_problems

AWAITING = "awaiting_deliberation"
REVIEW_DUE = "review_due"
ADDED_BY_CHAIR = "added_by_chair"
DEFERRED_EARLIER = "deferred"

OPEN = "open"
DECIDED = "decided"
DEFERRED = "deferred"


@dataclass(frozen=True)
class AgendaEntry:
    item: AgendaItem
    reason: str
    state: str
    decision: Decision | None = None


def why_on_agenda(state: Deliberation, meeting: Meeting, signal_id: str) -> str | None:
    if (meeting.meeting_id, signal_id) in state.added:
        return ADDED_BY_CHAIR
    if state.outstanding_deferral(meeting, signal_id) is not None:
        return DEFERRED_EARLIER
    standing = state.standing_before(meeting, signal_id)
    if standing is None:
        # Never decided by an earlier meeting (perhaps by this one).
        return AWAITING
    review_on = standing.details.get("review_on") if standing.outcome == PARK else None
    if review_on is not None and local_day(review_on) <= local_day(meeting.scheduled_for):
        return REVIEW_DUE
    return None


def agenda(state: Deliberation, meeting: Meeting) -> list[AgendaEntry]:
    entries = []
    for signal_id, item in state.registered.items():
        reason = why_on_agenda(state, meeting, signal_id)
        if reason is None:
            continue
        decision = state.effective_in(meeting.meeting_id, signal_id)
        if decision is not None:
            entries.append(AgendaEntry(item, reason, DECIDED, decision))
        elif (meeting.meeting_id, signal_id) in state.deferred:
            entries.append(AgendaEntry(item, reason, DEFERRED))
        else:
            entries.append(AgendaEntry(item, reason, OPEN))
    return sorted(entries, key=lambda e: state.registration_order(e.item.signal_id, e.item.registration_number))


def entry_for(state: Deliberation, meeting: Meeting, signal_id: str) -> AgendaEntry | None:
    return next((e for e in agenda(state, meeting) if e.item.signal_id == signal_id), None)


class AlreadyChanged(Exception):
    """The same agenda change was recorded before: a retry, nothing to publish."""


def _common(state: Deliberation, meeting_id: str, signal_id: str, reason: str, by: Actor | None) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    meeting = state.meetings.get(meeting_id)
    if meeting is None:
        problems.append(("meeting_id", "no such meeting"))
    if signal_id not in state.registered:
        problems.append(("signal_id", "no such registered signal"))
    problems += text_problems("reason", reason, required="an agenda change needs a written reason")
    if by is None or not by.complete:
        problems.append(("by", "person_id, role and organisation of the chair are required"))
    elif meeting is not None and not by.same_person(meeting.chair):
        problems.append(("by", "only the meeting's chair changes its agenda"))
    return problems


def add_item(state: Deliberation, meeting_id: str, signal_id: str, reason: str, by: Actor | None, now: datetime) -> AgendaChange | list[tuple[str, str]]:
    """The chair puts a signal on the agenda, e.g. one decided earlier that needs a new decision."""
    if (meeting_id, signal_id) in state.added:
        raise AlreadyChanged
    problems = _common(state, meeting_id, signal_id, reason, by)
    if problems:
        return problems
    meeting = state.meetings[meeting_id]
    entry = entry_for(state, meeting, signal_id)
    if entry is not None:
        return [("signal_id", f"already on the agenda ({entry.reason}, {entry.state})")]
    assert by is not None
    return AgendaChange(meeting_id=meeting_id, signal_id=signal_id, registration_number=state.registered[signal_id].registration_number,
                        reason=reason, by=by, at=now)


def defer_item(state: Deliberation, meeting_id: str, signal_id: str, reason: str, by: Actor | None, now: datetime) -> AgendaChange | list[tuple[str, str]]:
    """The chair defers an open item; it returns on the agenda of the next meeting."""
    if (meeting_id, signal_id) in state.deferred:
        raise AlreadyChanged
    problems = _common(state, meeting_id, signal_id, reason, by)
    if problems:
        return problems
    entry = entry_for(state, state.meetings[meeting_id], signal_id)
    if entry is None:
        return [("signal_id", "not on the agenda of this meeting")]
    if entry.state == DECIDED:
        return [("signal_id", "already decided in this meeting; a correction is a new decision")]
    assert by is not None
    return AgendaChange(meeting_id=meeting_id, signal_id=signal_id, registration_number=entry.item.registration_number,
                        reason=reason, by=by, at=now)
