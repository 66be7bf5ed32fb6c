"""Who dealt with which signal and took part in which meeting of the LIO.

Pure, from the LIO's facts. A person is linked to a signal when they
- were recorded as present at a meeting whose agenda had the signal, or
- decided on it (``decided_by``), or added it to or deferred it on an agenda.

"The agenda had the signal" is the LIO's own agenda rule, taken as the meeting saw it: a signal
awaiting deliberation counts only when it was registered on or before the meeting's day (the
agenda of an old meeting, asked today, also lists signals registered long after it). A signal
acted on in the meeting (decided, deferred) always counts.

A person took part in a meeting when they were recorded as present at it, chaired it, or added,
deferred or decided an item in it: the same facts, read per meeting. Chairing links a person to
the meeting (its agenda and minutes), not by itself to the signals on its agenda.

The unusual-access report uses both for staff reads (ADR 0012): reads of a signal, and reads of a
meeting's agenda or minutes. Persons are keyed by (organisation, person_id), as
``Actor.same_person`` compares them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from services.lio.domain.agenda import AWAITING, OPEN, AgendaEntry, agenda
from services.lio.domain.deliberation import Actor, Deliberation, Meeting, local_day

PersonKey = tuple[str, str]


def person_key(actor: Actor) -> PersonKey:
    return (actor.organisation, actor.person_id)


@dataclass(frozen=True)
class Involvement:
    # (organisation, person_id) -> ids of the signals that person is linked to
    signals: dict[PersonKey, set[str]]
    # (organisation, person_id) -> ids of the meetings that person took part in
    meetings: dict[PersonKey, set[str]]


def _was_on_agenda(entry: AgendaEntry, meeting: Meeting) -> bool:
    registered_at = entry.item.registered_at
    if entry.state != OPEN or entry.reason != AWAITING or registered_at is None:
        return True
    return local_day(registered_at) <= local_day(meeting.scheduled_for)


def _acts(state: Deliberation) -> Iterator[tuple[Actor, str, set[str]]]:
    """Every part a person played in a meeting: (who, meeting id, the signals it links them to)."""
    for decision in state.decisions.values():
        yield decision.decided_by, decision.meeting_id, {decision.signal_id}
    for change in (*state.added.values(), *state.deferred.values()):
        yield change.by, change.meeting_id, {change.signal_id}
    for meeting in state.meetings.values():
        yield meeting.chair, meeting.meeting_id, set()
        present = state.present(meeting.meeting_id)
        if not present:
            continue
        on_agenda = {e.item.signal_id for e in agenda(state, meeting) if _was_on_agenda(e, meeting)}
        for attendee in present:
            yield attendee, meeting.meeting_id, on_agenda


def involvement(state: Deliberation) -> Involvement:
    """Per person: the signals they are linked to and the meetings they took part in."""
    signals: dict[PersonKey, set[str]] = defaultdict(set)
    meetings: dict[PersonKey, set[str]] = defaultdict(set)
    for actor, meeting_id, signal_ids in _acts(state):
        key = person_key(actor)
        meetings[key].add(meeting_id)
        if signal_ids:
            signals[key] |= signal_ids
    return Involvement(dict(signals), dict(meetings))
