"""Mapping between the LIO contracts and its domain."""

from __future__ import annotations

from prototime import from_timestamp as _dt
from prototime import to_timestamp as ts
from knooppunt.lio.v1 import events_pb2, lio_pb2
from knooppunt.registration.v1 import events_pb2 as registration_events
from knooppunt.sharing.v1 import sharing_pb2
from knooppunt.signal.v1 import signal_pb2
from services.lio.domain import agenda as ag
from services.lio.domain import deliberation as d

_REASONS = {
    ag.AWAITING: lio_pb2.AGENDA_REASON_AWAITING_DELIBERATION, ag.REVIEW_DUE: lio_pb2.AGENDA_REASON_REVIEW_DUE,
    ag.ADDED_BY_CHAIR: lio_pb2.AGENDA_REASON_ADDED_BY_CHAIR, ag.DEFERRED_EARLIER: lio_pb2.AGENDA_REASON_DEFERRED,
}
_STATES = {ag.OPEN: lio_pb2.AGENDA_ITEM_STATE_OPEN, ag.DECIDED: lio_pb2.AGENDA_ITEM_STATE_DECIDED,
           ag.DEFERRED: lio_pb2.AGENDA_ITEM_STATE_DEFERRED}


def actor_from_proto(a: sharing_pb2.Actor, present: bool = True) -> d.Actor | None:
    return d.Actor(person_id=a.person_id, role=a.role, organisation=a.organisation) if present else None


def actor_to_proto(a: d.Actor) -> sharing_pb2.Actor:
    return sharing_pb2.Actor(person_id=a.person_id, role=a.role, organisation=a.organisation)


def sharing_from_proto(s: sharing_pb2.Sharing) -> d.Sharing:
    return d.Sharing(
        legal_basis=s.legal_basis, purpose=s.purpose, recipients=tuple(s.recipients),
        data_categories=tuple(s.data_categories), retention_rule=s.retention_rule,
    )


def sharing_to_proto(s: d.Sharing) -> sharing_pb2.Sharing:
    return sharing_pb2.Sharing(
        legal_basis=s.legal_basis, purpose=s.purpose, recipients=list(s.recipients),
        data_categories=list(s.data_categories), retention_rule=s.retention_rule,
    )


def _outcome_details(msg) -> tuple[str, dict]:  # noqa: ANN001 (RecordDecisionRequest or DecisionRecorded)
    outcome = msg.WhichOneof("outcome") or ""
    if outcome == d.PARK:
        return outcome, {"review_on": _dt(msg.park.review_on) if msg.park.HasField("review_on") else None}
    if outcome == d.LOCAL_APPROACH:
        la = msg.local_approach
        return outcome, {
            "multidisciplinary": la.multidisciplinary, "lead_team": la.lead_team,
            "interventions": tuple(la.interventions), "teams": tuple(la.teams),
            "follow_ups": tuple(d.FollowUp(action=f.action, team=f.team, due_on=_dt(f.due_on) if f.HasField("due_on") else None)
                                for f in la.follow_ups),
        }
    if outcome == d.REFER_TO_RIEC:
        return outcome, {"grounds": msg.refer_to_riec.grounds}
    return outcome, {}


def proposed_from_request(req: lio_pb2.RecordDecisionRequest, default_retention: str) -> d.ProposedDecision:
    outcome, details = _outcome_details(req)
    sharing = sharing_from_proto(req.sharing)
    if not sharing.empty and not sharing.retention_rule:
        sharing = sharing.model_copy(update={"retention_rule": default_retention})
    return d.ProposedDecision(
        meeting_id=req.meeting_id, signal_id=req.signal_id, reason=req.reason,
        decided_by=actor_from_proto(req.decided_by, req.HasField("decided_by")),
        outcome=outcome, details=details, sharing=sharing, corrects_decision_id=req.corrects_decision_id,
    )


def _subjects_to_proto(subjects) -> list[signal_pb2.SubjectKey]:  # noqa: ANN001
    return [signal_pb2.SubjectKey(kind=k, key=v) for k, v in subjects]


def _follow_up_to_proto(f: d.FollowUp) -> events_pb2.FollowUp:
    p = events_pb2.FollowUp(action=f.action, team=f.team)
    if f.due_on is not None:
        p.due_on.CopyFrom(ts(f.due_on))
    return p


def decision_to_event(dec: d.Decision) -> events_pb2.DecisionRecorded:
    e = events_pb2.DecisionRecorded(
        decision_id=dec.decision_id, meeting_id=dec.meeting_id, signal_id=dec.signal_id,
        registration_number=dec.registration_number, reason=dec.reason, decided_by=actor_to_proto(dec.decided_by),
        decided_at=ts(dec.decided_at), themes=list(dec.themes), subjects=_subjects_to_proto(dec.subjects),
        corrects_decision_id=dec.corrects_decision_id,
    )
    if dec.outcome == d.PARK:
        e.park.SetInParent()
        if dec.details.get("review_on") is not None:
            e.park.review_on.CopyFrom(ts(dec.details["review_on"]))
    elif dec.outcome == d.LOCAL_APPROACH:
        e.local_approach.CopyFrom(events_pb2.LocalApproach(
            multidisciplinary=dec.details["multidisciplinary"], lead_team=dec.details["lead_team"],
            interventions=list(dec.details["interventions"]), teams=list(dec.details["teams"]),
            follow_ups=[_follow_up_to_proto(f) for f in dec.details.get("follow_ups", ())],
        ))
    elif dec.outcome == d.REFER_TO_RIEC:
        e.refer_to_riec.CopyFrom(events_pb2.ReferToRiec(grounds=dec.details["grounds"]))
    elif dec.outcome == d.NO_ACTION:
        e.no_action.SetInParent()
    if dec.sharing is not None:
        e.sharing.CopyFrom(sharing_to_proto(dec.sharing))
    return e


def decision_from_event(e: events_pb2.DecisionRecorded) -> d.Decision:
    outcome, details = _outcome_details(e)
    return d.Decision(
        decision_id=e.decision_id, meeting_id=e.meeting_id, signal_id=e.signal_id,
        registration_number=e.registration_number, reason=e.reason,
        decided_by=actor_from_proto(e.decided_by), decided_at=_dt(e.decided_at), outcome=outcome, details=details,
        sharing=sharing_from_proto(e.sharing) if e.HasField("sharing") else None,
        themes=tuple(e.themes), subjects=tuple((s.kind, s.key) for s in e.subjects),
        corrects_decision_id=e.corrects_decision_id,
    )


def meeting_to_event(m: d.Meeting) -> events_pb2.MeetingScheduled:
    return events_pb2.MeetingScheduled(
        meeting_id=m.meeting_id, scheduled_for=ts(m.scheduled_for), form=m.form, chair=actor_to_proto(m.chair)
    )


def meeting_from_event(e: events_pb2.MeetingScheduled) -> d.Meeting:
    return d.Meeting(meeting_id=e.meeting_id, scheduled_for=_dt(e.scheduled_for), form=e.form, chair=actor_from_proto(e.chair))


def attendance_to_event(a: d.Attendance) -> events_pb2.AttendanceRecorded:
    return events_pb2.AttendanceRecorded(meeting_id=a.meeting_id, attendee=actor_to_proto(a.attendee), recorded_at=ts(a.recorded_at))


def attendance_from_event(e: events_pb2.AttendanceRecorded) -> d.Attendance:
    return d.Attendance(meeting_id=e.meeting_id, attendee=actor_from_proto(e.attendee), recorded_at=_dt(e.recorded_at))


def added_to_event(c: d.AgendaChange) -> events_pb2.AgendaItemAdded:
    return events_pb2.AgendaItemAdded(meeting_id=c.meeting_id, signal_id=c.signal_id, registration_number=c.registration_number,
                                      reason=c.reason, added_by=actor_to_proto(c.by), added_at=ts(c.at))


def added_from_event(e: events_pb2.AgendaItemAdded) -> d.AgendaChange:
    return d.AgendaChange(meeting_id=e.meeting_id, signal_id=e.signal_id, registration_number=e.registration_number,
                          reason=e.reason, by=actor_from_proto(e.added_by), at=_dt(e.added_at))


def deferred_to_event(c: d.AgendaChange) -> events_pb2.AgendaItemDeferred:
    return events_pb2.AgendaItemDeferred(meeting_id=c.meeting_id, signal_id=c.signal_id, registration_number=c.registration_number,
                                         reason=c.reason, deferred_by=actor_to_proto(c.by), deferred_at=ts(c.at))


def deferred_from_event(e: events_pb2.AgendaItemDeferred) -> d.AgendaChange:
    return d.AgendaChange(meeting_id=e.meeting_id, signal_id=e.signal_id, registration_number=e.registration_number,
                          reason=e.reason, by=actor_from_proto(e.deferred_by), at=_dt(e.deferred_at))


def agenda_item_from_registered(e: registration_events.SignalRegistered) -> d.AgendaItem:
    return d.AgendaItem(
        signal_id=e.signal_id, registration_number=e.registration_number, themes=tuple(e.themes),
        subjects=tuple((s.kind, s.key) for s in e.subjects),
        registered_at=_dt(e.registered_at) if e.HasField("registered_at") else None,
    )


def agenda_entry_to_proto(entry: ag.AgendaEntry) -> lio_pb2.AgendaItem:
    item = entry.item
    return lio_pb2.AgendaItem(
        signal_id=item.signal_id, registration_number=item.registration_number, themes=list(item.themes),
        subjects=_subjects_to_proto(item.subjects), reason=_REASONS[entry.reason], state=_STATES[entry.state],
        decision_id=entry.decision.decision_id if entry.decision else "",
    )
