"""Mapping between the LIO contracts and its domain."""

from __future__ import annotations

from datetime import UTC, datetime


from prototime import from_timestamp as _dt
from prototime import to_timestamp as ts
from knooppunt.lio.v1 import events_pb2, lio_pb2
from knooppunt.registration.v1 import events_pb2 as registration_events
from knooppunt.sharing.v1 import sharing_pb2
from knooppunt.signal.v1 import signal_pb2
from services.lio.domain import deliberation as d




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
    if outcome == "park":
        return outcome, {"review_on": _dt(msg.park.review_on) if msg.park.HasField("review_on") else None}
    if outcome == "local_approach":
        la = msg.local_approach
        return outcome, {
            "multidisciplinary": la.multidisciplinary, "lead_team": la.lead_team,
            "interventions": tuple(la.interventions), "teams": tuple(la.teams),
        }
    if outcome == "refer_to_riec":
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
        outcome=outcome, details=details, sharing=sharing,
    )


def _subjects_to_proto(subjects) -> list[signal_pb2.SubjectKey]:  # noqa: ANN001
    return [signal_pb2.SubjectKey(kind=k, key=v) for k, v in subjects]


def decision_to_event(dec: d.Decision) -> events_pb2.DecisionRecorded:
    e = events_pb2.DecisionRecorded(
        decision_id=dec.decision_id, meeting_id=dec.meeting_id, signal_id=dec.signal_id,
        registration_number=dec.registration_number, reason=dec.reason, decided_by=actor_to_proto(dec.decided_by),
        decided_at=ts(dec.decided_at), themes=list(dec.themes), subjects=_subjects_to_proto(dec.subjects),
    )
    if dec.outcome == d.PARK:
        e.park.SetInParent()
        if dec.details.get("review_on") is not None:
            e.park.review_on.CopyFrom(ts(dec.details["review_on"]))
    elif dec.outcome == d.LOCAL_APPROACH:
        e.local_approach.CopyFrom(events_pb2.LocalApproach(
            multidisciplinary=dec.details["multidisciplinary"], lead_team=dec.details["lead_team"],
            interventions=list(dec.details["interventions"]), teams=list(dec.details["teams"]),
        ))
    elif dec.outcome == d.REFER_TO_RIEC:
        e.refer_to_riec.CopyFrom(events_pb2.ReferToRiec(grounds=dec.details["grounds"]))
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
    )


def meeting_to_event(m: d.Meeting) -> events_pb2.MeetingScheduled:
    return events_pb2.MeetingScheduled(
        meeting_id=m.meeting_id, scheduled_for=ts(m.scheduled_for), form=m.form, chair=actor_to_proto(m.chair)
    )


def meeting_from_event(e: events_pb2.MeetingScheduled) -> d.Meeting:
    return d.Meeting(meeting_id=e.meeting_id, scheduled_for=_dt(e.scheduled_for), form=e.form, chair=actor_from_proto(e.chair))


def agenda_item_from_registered(e: registration_events.SignalRegistered) -> d.AgendaItem:
    return d.AgendaItem(
        signal_id=e.signal_id, registration_number=e.registration_number, themes=tuple(e.themes),
        subjects=tuple((s.kind, s.key) for s in e.subjects),
    )


def agenda_item_to_proto(item: d.AgendaItem) -> lio_pb2.AgendaItem:
    return lio_pb2.AgendaItem(
        signal_id=item.signal_id, registration_number=item.registration_number, themes=list(item.themes),
        subjects=_subjects_to_proto(item.subjects),
    )
