"""The LIO's facts (meetings, attendance, agenda changes, decisions) and the state they fold into.

The state is a set of facts, folded in any order: events keyed by meeting and by signal sit on
different partitions, so a rebuild may see a decision before its meeting. Everything derived
(agendas, quorum, the standing decision) is computed when asked. Nothing is ever edited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

PARK = "park"
LOCAL_APPROACH = "local_approach"
REFER_TO_RIEC = "refer_to_riec"
NO_ACTION = "no_action"
OUTCOMES = (PARK, LOCAL_APPROACH, REFER_TO_RIEC, NO_ACTION)
# Meeting dates and review dates are calendar days in the municipality's time zone.
LOCAL_TZ = ZoneInfo("Europe/Amsterdam")


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True)
    person_id: str
    role: str
    organisation: str

    @property
    def complete(self) -> bool:
        return bool(self.person_id and self.role and self.organisation)

    def same_person(self, other: Actor) -> bool:
        return self.person_id == other.person_id and self.organisation == other.organisation


class Sharing(BaseModel):
    model_config = ConfigDict(frozen=True)
    legal_basis: str = ""
    purpose: str = ""
    recipients: tuple[str, ...] = ()
    data_categories: tuple[str, ...] = ()
    retention_rule: str = ""

    @property
    def empty(self) -> bool:
        return not (self.legal_basis or self.purpose or self.recipients or self.data_categories)


class Meeting(BaseModel):
    model_config = ConfigDict(frozen=True)
    meeting_id: str
    scheduled_for: datetime
    form: str
    chair: Actor

    @property
    def order(self) -> tuple[datetime, str]:
        """Meetings are ordered by date; the id only breaks ties between meetings at the same moment."""
        return (self.scheduled_for, self.meeting_id)


class AgendaItem(BaseModel):
    """A registered signal, as far as the LIO needs it."""

    model_config = ConfigDict(frozen=True)
    signal_id: str
    registration_number: str
    themes: tuple[int, ...]
    subjects: tuple[tuple[int, str], ...]
    # When the register took it in; None for items built without it.
    registered_at: datetime | None = None


class Attendance(BaseModel):
    model_config = ConfigDict(frozen=True)
    meeting_id: str
    attendee: Actor
    recorded_at: datetime


class AgendaChange(BaseModel):
    """The chair added a signal to a meeting's agenda, or deferred it to the next meeting."""

    model_config = ConfigDict(frozen=True)
    meeting_id: str
    signal_id: str
    registration_number: str
    reason: str
    by: Actor
    at: datetime


class FollowUp(BaseModel):
    model_config = ConfigDict(frozen=True)
    action: str
    team: str
    due_on: datetime | None


class ProposedDecision(BaseModel):
    """A decision as the chair proposes it (the RecordDecision command)."""

    model_config = ConfigDict(frozen=True)
    meeting_id: str
    signal_id: str
    reason: str
    decided_by: Actor | None
    outcome: str
    # Outcome details as plain values: review_on | multidisciplinary, lead_team, interventions,
    # teams, follow_ups | grounds.
    details: dict
    sharing: Sharing
    corrects_decision_id: str = ""


class Decision(BaseModel):
    """The DecisionRecorded fact."""

    model_config = ConfigDict(frozen=True)
    decision_id: str
    meeting_id: str
    signal_id: str
    registration_number: str
    reason: str
    decided_by: Actor
    decided_at: datetime
    outcome: str
    details: dict
    sharing: Sharing | None
    themes: tuple[int, ...]
    subjects: tuple[tuple[int, str], ...]
    corrects_decision_id: str = ""


_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass
class Deliberation:
    meetings: dict[str, Meeting] = field(default_factory=dict)
    registered: dict[str, AgendaItem] = field(default_factory=dict)
    # meeting_id -> person_id -> the first attendance recorded for that person
    attendance: dict[str, dict[str, Attendance]] = field(default_factory=dict)
    added: dict[tuple[str, str], AgendaChange] = field(default_factory=dict)
    deferred: dict[tuple[str, str], AgendaChange] = field(default_factory=dict)
    decisions: dict[str, Decision] = field(default_factory=dict)
    # signal_id -> its decisions, in any meeting
    _by_signal: dict[str, list[Decision]] = field(default_factory=dict)

    # -- folding facts (idempotent: a duplicate changes nothing) --
    def apply_meeting(self, meeting: Meeting) -> None:
        self.meetings.setdefault(meeting.meeting_id, meeting)

    def apply_registered(self, item: AgendaItem) -> None:
        self.registered.setdefault(item.signal_id, item)

    def apply_attendance(self, a: Attendance) -> None:
        self.attendance.setdefault(a.meeting_id, {}).setdefault(a.attendee.person_id, a)

    def apply_added(self, change: AgendaChange) -> None:
        self.added.setdefault((change.meeting_id, change.signal_id), change)

    def apply_deferred(self, change: AgendaChange) -> None:
        self.deferred.setdefault((change.meeting_id, change.signal_id), change)

    def apply_decision(self, decision: Decision) -> None:
        if decision.decision_id not in self.decisions:
            self.decisions[decision.decision_id] = decision
            self._by_signal.setdefault(decision.signal_id, []).append(decision)

    # -- reading --
    def registration_order(self, signal_id: str, number: str = "") -> tuple[datetime, str]:
        """The order in which signals were registered. Numbers are contiguous per year and
        partition (``2026-3-000417``, ADR 0011), so they do not sort by time across partitions;
        the register's time does, with the number as tie-break (and as the order of items built
        without a time)."""
        item = self.registered.get(signal_id)
        at = item.registered_at if item is not None and item.registered_at is not None else _EARLIEST
        return (at, number or (item.registration_number if item is not None else ""))

    def present(self, meeting_id: str) -> list[Actor]:
        return [a.attendee for a in sorted(self.attendance.get(meeting_id, {}).values(), key=lambda a: a.recorded_at)]

    def decisions_about(self, signal_id: str) -> list[Decision]:
        return list(self._by_signal.get(signal_id, ()))

    def decisions_in(self, meeting_id: str, signal_id: str) -> list[Decision]:
        return sorted((d for d in self._by_signal.get(signal_id, ()) if d.meeting_id == meeting_id), key=lambda d: d.decided_at)

    def corrected_by(self, decision_id: str) -> Decision | None:
        return next((d for d in self.decisions.values() if d.corrects_decision_id == decision_id), None)

    def effective_in(self, meeting_id: str, signal_id: str) -> Decision | None:
        """The meeting's decision about the signal: the last one, after any correction in the meeting."""
        found = self.decisions_in(meeting_id, signal_id)
        return found[-1] if found else None

    def is_before(self, meeting_id: str, other: Meeting) -> bool:
        m = self.meetings.get(meeting_id)
        return m is not None and m.order < other.order

    def standing_before(self, meeting: Meeting, signal_id: str) -> Decision | None:
        """The decision in force when ``meeting`` opens: the latest one taken in an earlier meeting."""
        earlier = [d for d in self._by_signal.get(signal_id, ()) if self.is_before(d.meeting_id, meeting)]
        return max(earlier, key=lambda d: (self.meetings[d.meeting_id].order, d.decided_at), default=None)

    def outstanding_deferral(self, meeting: Meeting, signal_id: str) -> AgendaChange | None:
        """A deferral by an earlier meeting that no later meeting (before this one) has decided on."""
        deferrals = [c for (m, s), c in self.deferred.items() if s == signal_id and self.is_before(m, meeting)]
        if not deferrals:
            return None
        last = max(deferrals, key=lambda c: self.meetings[c.meeting_id].order)
        since = self.meetings[last.meeting_id]
        for d in self._by_signal.get(signal_id, ()):
            m = self.meetings.get(d.meeting_id)
            if m is not None and since.order < m.order < meeting.order:
                return None
        return last
