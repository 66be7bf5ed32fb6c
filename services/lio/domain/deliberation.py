"""Meetings and decisions as a fold over events, and the rules for deciding.

`decide` checks a proposed decision against the state and returns the DecisionRecorded fact
or the list of problems. Decisions are never edited: the state only grows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict

PARK = "park"
LOCAL_APPROACH = "local_approach"
REFER_TO_RIEC = "refer_to_riec"
OUTCOMES = (PARK, LOCAL_APPROACH, REFER_TO_RIEC)
MEETING_FORMS = ("lio", "gso")
_DECISION_NAMESPACE = uuid.UUID("c3d1e7a4-5b2f-4f0e-9a6c-2e8b7d1f4a90")


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True)
    person_id: str
    role: str
    organisation: str


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


class AgendaItem(BaseModel):
    model_config = ConfigDict(frozen=True)
    signal_id: str
    registration_number: str
    themes: tuple[int, ...]
    subjects: tuple[tuple[int, str], ...]


class ProposedDecision(BaseModel):
    """A decision as the chair proposes it (the RecordDecision command)."""

    model_config = ConfigDict(frozen=True)
    meeting_id: str
    signal_id: str
    reason: str
    decided_by: Actor | None
    outcome: str
    # Outcome details, as plain values: review_on, multidisciplinary, lead_team, interventions, teams, grounds.
    details: dict
    sharing: Sharing


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


@dataclass
class Deliberation:
    meetings: dict[str, Meeting] = field(default_factory=dict)
    registered: dict[str, AgendaItem] = field(default_factory=dict)
    # (meeting_id, signal_id) -> decision; a signal is decided once per meeting.
    decisions: dict[tuple[str, str], Decision] = field(default_factory=dict)
    decided_signals: set[str] = field(default_factory=set)

    def apply_meeting(self, meeting: Meeting) -> None:
        self.meetings.setdefault(meeting.meeting_id, meeting)

    def apply_registered(self, item: AgendaItem) -> None:
        self.registered.setdefault(item.signal_id, item)

    def apply_decision(self, decision: Decision) -> None:
        self.decisions.setdefault((decision.meeting_id, decision.signal_id), decision)
        self.decided_signals.add(decision.signal_id)

    def agenda(self, meeting_id: str) -> list[AgendaItem]:
        """Registered signals not yet decided, plus those decided in this very meeting."""
        return [
            item
            for sid, item in self.registered.items()
            if sid not in self.decided_signals or (meeting_id, sid) in self.decisions
        ]


def decision_id_for(meeting_id: str, signal_id: str) -> str:
    return str(uuid.uuid5(_DECISION_NAMESPACE, f"{meeting_id}\x1f{signal_id}"))


class AlreadyDecided(Exception):
    def __init__(self, existing: Decision, identical: bool) -> None:
        super().__init__(existing.decision_id)
        self.existing = existing
        self.identical = identical


def decide(state: Deliberation, p: ProposedDecision, now: datetime) -> Decision | list[tuple[str, str]]:
    """Check a proposed decision; return the fact or a list of (field, problem).

    Raises AlreadyDecided when the signal was decided in this meeting before.
    """
    problems: list[tuple[str, str]] = []
    meeting = state.meetings.get(p.meeting_id)
    if meeting is None:
        problems.append(("meeting_id", "no such meeting"))
    item = state.registered.get(p.signal_id)
    if item is None:
        problems.append(("signal_id", "no such registered signal"))
    if meeting is not None and item is not None and (existing := state.decisions.get((p.meeting_id, p.signal_id))):
        raise AlreadyDecided(existing, identical=_same(existing, p))
    if not p.reason.strip():
        problems.append(("reason", "a decision needs a written reason"))
    if p.decided_by is None or not (p.decided_by.person_id and p.decided_by.role and p.decided_by.organisation):
        problems.append(("decided_by", "person_id, role and organisation of the deciding chair are required"))
    if p.outcome not in OUTCOMES:
        problems.append(("outcome", "one of park, local_approach, refer_to_riec is required"))
    problems += _outcome_rules(p)
    if problems:
        return problems
    assert meeting is not None and item is not None and p.decided_by is not None
    shares = p.outcome == REFER_TO_RIEC or (p.outcome == LOCAL_APPROACH and p.details.get("multidisciplinary"))
    return Decision(
        decision_id=decision_id_for(p.meeting_id, p.signal_id),
        meeting_id=p.meeting_id,
        signal_id=p.signal_id,
        registration_number=item.registration_number,
        reason=p.reason,
        decided_by=p.decided_by,
        decided_at=now,
        outcome=p.outcome,
        details=p.details,
        sharing=p.sharing if shares else None,
        themes=item.themes,
        subjects=item.subjects,
    )


def _outcome_rules(p: ProposedDecision) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    s = p.sharing
    if p.outcome == PARK:
        if p.details.get("review_on") is None:
            problems.append(("park.review_on", "a parked signal needs a review date"))
        if not s.empty:
            problems.append(("sharing", "a park decision shares nothing; leave sharing empty"))
    if p.outcome == LOCAL_APPROACH:
        if not p.details.get("lead_team"):
            problems.append(("local_approach.lead_team", "a local approach needs a lead team"))
        if p.details.get("multidisciplinary"):
            if not p.details.get("teams"):
                problems.append(("local_approach.teams", "a multidisciplinary approach names the teams involved"))
            if not s.legal_basis:
                problems.append(("sharing.legal_basis", "sharing between teams needs a legal basis"))
    if p.outcome == REFER_TO_RIEC:
        if not p.details.get("grounds", "").strip():
            problems.append(("refer_to_riec.grounds", "a referral needs clear and objective indications (grounds)"))
        if not s.legal_basis:
            problems.append(("sharing.legal_basis", "a referral needs a legal basis"))
        if not s.purpose:
            problems.append(("sharing.purpose", "a referral needs a purpose"))
        if not s.recipients:
            problems.append(("sharing.recipients", "a referral needs at least one recipient"))
        if not s.data_categories:
            problems.append(("sharing.data_categories", "a referral proposes the data categories to share"))
    return problems


def _same(existing: Decision, p: ProposedDecision) -> bool:
    return (
        existing.outcome == p.outcome
        and existing.reason == p.reason
        and existing.details == p.details
        and (existing.sharing or Sharing()) == (p.sharing if not p.sharing.empty else Sharing())
    )
