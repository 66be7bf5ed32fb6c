"""The rules for deciding: `decide` returns the DecisionRecorded fact or the list of problems.

One decision per signal per meeting, by the meeting's chair, with a written reason, only with a
quorum, only about an item on the agenda. A decision is never edited: a correction is a new
decision naming the one it corrects, in the same meeting (an explicit correction) or a later one.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from services.lio.domain.agenda import DECIDED, DEFERRED, entry_for
from services.lio.domain.deliberation import (
    LOCAL_APPROACH, NO_ACTION, OUTCOMES, PARK, REFER_TO_RIEC, Decision, Deliberation, ProposedDecision, Sharing, local_day,
)
from services.lio.domain.forms import DeliberationRules
from services.lio.domain.text import text_problems

_DECISION_NAMESPACE = uuid.UUID("c3d1e7a4-5b2f-4f0e-9a6c-2e8b7d1f4a90")
Problems = list[tuple[str, str]]


def decision_id_for(meeting_id: str, signal_id: str, corrects: str = "") -> str:
    # Deterministic: a retried command carries the same id, and every consumer dedupes on it.
    name = f"{meeting_id}\x1f{signal_id}" + (f"\x1f{corrects}" if corrects else "")
    return str(uuid.uuid5(_DECISION_NAMESPACE, name))


class AlreadyDecided(Exception):
    def __init__(self, existing: Decision, identical: bool) -> None:
        super().__init__(existing.decision_id)
        self.existing = existing
        self.identical = identical


def decide(state: Deliberation, rules: DeliberationRules, p: ProposedDecision, now: datetime) -> Decision | Problems:
    """Check a proposed decision; return the fact or a list of (field, problem).

    Raises AlreadyDecided when this decision (or, for a non-correction, any decision about the
    signal) was recorded in this meeting before.
    """
    meeting = state.meetings.get(p.meeting_id)
    item = state.registered.get(p.signal_id)
    problems: Problems = []
    if meeting is None:
        problems.append(("meeting_id", "no such meeting"))
    if item is None:
        problems.append(("signal_id", "no such registered signal"))
    if meeting is not None and item is not None:
        existing = state.decisions.get(decision_id_for(p.meeting_id, p.signal_id, p.corrects_decision_id))
        if existing is not None:
            raise AlreadyDecided(existing, identical=_same(existing, p))
        if not p.corrects_decision_id and (here := state.effective_in(p.meeting_id, p.signal_id)) is not None:
            raise AlreadyDecided(here, identical=False)
        problems += _agenda_and_correction_rules(state, p)
        if p.decided_by is not None and p.decided_by.complete and not p.decided_by.same_person(meeting.chair):
            problems.append(("decided_by", "only the meeting's chair records its decisions"))
        form = rules.forms.get(meeting.form)
        quorum = form.quorum_problems(meeting.chair, state.present(meeting.meeting_id)) if form else ["unknown meeting form"]
        problems += [("meeting_id", f"no quorum: {q}") for q in quorum]
    problems += text_problems("reason", p.reason, required="a decision needs a written reason")
    if p.decided_by is None or not p.decided_by.complete:
        problems.append(("decided_by", "person_id, role and organisation of the deciding chair are required"))
    if p.outcome not in OUTCOMES:
        problems.append(("outcome", "one of park, no_action, local_approach, refer_to_riec is required"))
    problems += outcome_problems(rules, p, meeting.scheduled_for if meeting else None)
    if problems:
        return problems
    assert meeting is not None and item is not None and p.decided_by is not None
    return Decision(
        decision_id=decision_id_for(p.meeting_id, p.signal_id, p.corrects_decision_id),
        meeting_id=p.meeting_id, signal_id=p.signal_id, registration_number=item.registration_number,
        reason=p.reason, decided_by=p.decided_by, decided_at=now, outcome=p.outcome, details=p.details,
        sharing=None if p.sharing.empty else p.sharing, themes=item.themes, subjects=item.subjects,
        corrects_decision_id=p.corrects_decision_id,
    )


def _agenda_and_correction_rules(state: Deliberation, p: ProposedDecision) -> Problems:
    meeting = state.meetings[p.meeting_id]
    entry = entry_for(state, meeting, p.signal_id)
    if p.corrects_decision_id:
        corrected = state.decisions.get(p.corrects_decision_id)
        if corrected is None or corrected.signal_id != p.signal_id:
            return [("corrects_decision_id", "no decision with this id about this signal")]
        if corrected.meeting_id != p.meeting_id and not state.is_before(corrected.meeting_id, meeting):
            return [("corrects_decision_id", "a correction is made in the same meeting or a later one")]
        if (later := state.corrected_by(corrected.decision_id)) is not None:
            return [("corrects_decision_id", f"already corrected by decision {later.decision_id}; correct that one")]
        if corrected.meeting_id == p.meeting_id:
            return []  # an explicit correction in the same meeting: the item is on this agenda, decided
    if entry is None:
        return [("signal_id", "not on the agenda of this meeting; the chair can add it")]
    if entry.state == DEFERRED:
        return [("signal_id", "deferred in this meeting; it returns on the next agenda")]
    if entry.state == DECIDED and not p.corrects_decision_id:
        return [("signal_id", "already decided in this meeting")]
    return []


def outcome_problems(rules: DeliberationRules, p: ProposedDecision, meeting_date: datetime | None) -> Problems:
    problems: Problems = []
    s, d = p.sharing, p.details
    if p.outcome in (PARK, NO_ACTION) and not s.empty:
        problems.append(("sharing", f"a {p.outcome.replace('_', ' ')} decision shares nothing; leave sharing empty"))
    if p.outcome == PARK:
        review_on = d.get("review_on")
        if review_on is None:
            problems.append(("park.review_on", "a parked signal needs a review date"))
        elif meeting_date is not None and local_day(review_on) <= local_day(meeting_date):
            problems.append(("park.review_on", "the review date must be after the meeting's date"))
    if p.outcome == LOCAL_APPROACH:
        problems += _local_approach_problems(rules, p)
    if p.outcome == REFER_TO_RIEC:
        problems += text_problems("refer_to_riec.grounds", d.get("grounds", ""),
                                  required="a referral needs clear and objective indications (grounds)")
        for name, problem in (("legal_basis", "a referral needs a legal basis"), ("purpose", "a referral needs a purpose"),
                              ("recipients", "a referral needs at least one recipient"),
                              ("data_categories", "a referral proposes the data categories to share")):
            if not getattr(s, name):
                problems.append((f"sharing.{name}", problem))
    return problems


def _local_approach_problems(rules: DeliberationRules, p: ProposedDecision) -> Problems:
    problems: Problems = []
    s, d = p.sharing, p.details
    if not d.get("lead_team"):
        problems.append(("local_approach.lead_team", "a local approach needs a lead team"))
    for i, code in enumerate(d.get("interventions", ())):
        if code not in rules.interventions:
            problems.append((f"local_approach.interventions[{i}]", f"unknown intervention {code!r}; one of {', '.join(rules.interventions)}"))
    for i, f in enumerate(d.get("follow_ups", ())):
        problems += text_problems(f"local_approach.follow_ups[{i}].action", f.action, required="a follow-up says what is to be done")
        if f.due_on is None:
            problems.append((f"local_approach.follow_ups[{i}].due_on", "a follow-up needs a date"))
    if d.get("multidisciplinary"):
        if not d.get("teams"):
            problems.append(("local_approach.teams", "a multidisciplinary approach names the teams involved"))
        if not s.legal_basis:
            problems.append(("sharing.legal_basis", "sharing between teams needs a legal basis"))
    elif not s.empty:
        problems.append(("sharing", "a monodisciplinary approach stays with the lead team; leave sharing empty"))
    return problems


def _same(existing: Decision, p: ProposedDecision) -> bool:
    return (
        existing.outcome == p.outcome and existing.reason == p.reason and existing.details == p.details
        and (existing.sharing or Sharing()) == (p.sharing if not p.sharing.empty else Sharing())
        and existing.decided_by == p.decided_by
    )
