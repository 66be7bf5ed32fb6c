"""Who dealt with which signal in the LIO: the link between a person and a signal.

Pure, from the LIO's facts. A person is linked to a signal when they
- were recorded as present at a meeting whose agenda had the signal, or
- decided on it (``decided_by``), or added it to or deferred it on an agenda.

"The agenda had the signal" is the LIO's own agenda rule, taken as the meeting saw it: a signal
awaiting deliberation counts only when it was registered on or before the meeting's day (the
agenda of an old meeting, asked today, also lists signals registered long after it). A signal
acted on in the meeting (decided, deferred) always counts.

The unusual-access report uses these links for staff reads (ADR 0012). Persons are keyed by
(organisation, person_id), as ``Actor.same_person`` compares them.
"""

from __future__ import annotations

from collections import defaultdict

from services.lio.domain.agenda import AWAITING, OPEN, AgendaEntry, agenda
from services.lio.domain.deliberation import Actor, Deliberation, Meeting, local_day

PersonKey = tuple[str, str]


def person_key(actor: Actor) -> PersonKey:
    return (actor.organisation, actor.person_id)


def _was_on_agenda(entry: AgendaEntry, meeting: Meeting) -> bool:
    registered_at = entry.item.registered_at
    if entry.state != OPEN or entry.reason != AWAITING or registered_at is None:
        return True
    return local_day(registered_at) <= local_day(meeting.scheduled_for)


def involvement(state: Deliberation) -> dict[PersonKey, set[str]]:
    """(organisation, person_id) -> ids of the signals that person is linked to."""
    linked: dict[PersonKey, set[str]] = defaultdict(set)
    for decision in state.decisions.values():
        linked[person_key(decision.decided_by)].add(decision.signal_id)
    for change in (*state.added.values(), *state.deferred.values()):
        linked[person_key(change.by)].add(change.signal_id)
    for meeting in state.meetings.values():
        present = state.present(meeting.meeting_id)
        if not present:
            continue
        on_agenda = {e.item.signal_id for e in agenda(state, meeting) if _was_on_agenda(e, meeting)}
        for attendee in present:
            linked[person_key(attendee)] |= on_agenda
    return dict(linked)
