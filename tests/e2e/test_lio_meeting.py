"""A whole LIO meeting on the real broker, driven only through gRPC (and the minutes CLI, read-only).

Signals submitted through intake -> meeting scheduled -> no decision before the quorum -> attendance
-> one decision of each kind, a correction and a deferral -> minutes contain them -> a meeting
scheduled after the review date finds the parked signal (and the deferred one) on its agenda.
The review date is reached through the meeting's scheduled date: no sleeping, no clock tricks.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from knooppunt.intake.v1 import intake_pb2
from knooppunt.lio.v1 import events_pb2 as lio_events
from knooppunt.lio.v1 import lio_pb2
from knooppunt.sharing.v1 import sharing_pb2
from knooppunt.signal.v1 import signal_pb2
from tests.e2e.conftest import ROOT
from tests.e2e.test_walking_skeleton import eventually, stubs, ts

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]
CHAIR = sharing_pb2.Actor(person_id="mw-0042", role="lio-chair", organisation="gemeente-maassluis")
MEMBER = sharing_pb2.Actor(person_id="mw-0043", role="lio-member", organisation="gemeente-maassluis")
POLICE = sharing_pb2.Actor(person_id="pol-23", role="lio-member", organisation="politie")
REFERRAL = sharing_pb2.Sharing(legal_basis="WGS art. 2.3", purpose="integrale aanpak ondermijning",
                               recipients=["riec-rotterdam", "politie"], data_categories=["signal.themes", "subject.address"])


def submit(intake, ref: str, kvk: str) -> str:  # noqa: ANN001
    # A source configured in services/intake/sources.toml (municipal team, every theme).
    sub = intake_pb2.SignalSubmission(channel=signal_pb2.CHANNEL_MUNICIPAL_TEAM, source="team-toezicht-handhaving",
                                      source_reference=ref, themes=[signal_pb2.THEME_VASTGOED], description="e2e LIO signal",
                                      subjects=[intake_pb2.SubjectInput(company=intake_pb2.CompanyInput(kvk_number=kvk))])
    return intake.SubmitSignal(intake_pb2.SubmitSignalRequest(signal=sub), timeout=10).receipt.signal_id


def violations(err: grpc.RpcError) -> list[str]:
    detail = error_details_pb2.BadRequest()
    rpc_status.from_call(err).details[0].Unpack(detail)
    return [f"{v.field}: {v.description}" for v in detail.field_violations]


def test_a_meeting_with_every_decision_kind_minutes_and_review(stack: dict) -> None:
    s = stubs(stack)
    lio = s["lio"]
    run = uuid.uuid4().hex[:8]
    day = datetime.now(UTC).replace(microsecond=0)

    # 1. Six signals through intake.
    kinds = ("park", "no_action", "mono", "multi", "refer", "defer")
    sid = {k: submit(s["intake"], f"lio-{k}-{run}", f"{70000000 + i}") for i, k in enumerate(kinds)}

    # 2. A classic LIO meeting (with police); all six reach its agenda.
    meeting = lio.ScheduleMeeting(lio_pb2.ScheduleMeetingRequest(scheduled_for=ts(day), form="lio", chair=CHAIR), timeout=10).meeting_id
    def full_agenda() -> lio_pb2.GetAgendaResponse | None:
        a = lio.GetAgenda(lio_pb2.GetAgendaRequest(meeting_id=meeting), timeout=5)
        return a if set(sid.values()) <= {i.signal_id for i in a.items} else None

    agenda = eventually(full_agenda, "the agenda")
    assert not agenda.quorum_met and "no member for politie present" in agenda.quorum_problems
    numbers = {k: next(i.registration_number for i in agenda.items if i.signal_id == v) for k, v in sid.items()}

    def decide(kind: str, **outcome) -> lio_pb2.RecordDecisionResponse:  # noqa: ANN003
        return lio.RecordDecision(lio_pb2.RecordDecisionRequest(meeting_id=meeting, signal_id=sid[kind], decided_by=CHAIR,
                                                                reason=f"reden {kind}", **outcome), timeout=10)

    # 3. No decision without the quorum; then attendance is recorded.
    with pytest.raises(grpc.RpcError) as no_quorum:
        decide("no_action", no_action=lio_events.NoAction())
    assert no_quorum.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "meeting_id: no quorum: no member for politie present" in violations(no_quorum.value)
    for person in (CHAIR, MEMBER, POLICE):
        assert lio.RecordAttendance(lio_pb2.RecordAttendanceRequest(meeting_id=meeting, attendee=person), timeout=10).recorded
    assert not lio.RecordAttendance(lio_pb2.RecordAttendanceRequest(meeting_id=meeting, attendee=POLICE), timeout=10).recorded
    assert lio.GetAgenda(lio_pb2.GetAgendaRequest(meeting_id=meeting), timeout=5).quorum_met

    # The chair's certificate decides only in the chair's own name, never in a member's.
    with pytest.raises(grpc.RpcError) as someone_else:
        lio.RecordDecision(lio_pb2.RecordDecisionRequest(meeting_id=meeting, signal_id=sid["park"], decided_by=MEMBER,
                                                         reason="namens een ander", no_action=lio_events.NoAction()),
                           timeout=10)
    assert someone_else.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "decided_by.person_id must be the caller's own personnel number" in someone_else.value.details()

    # 4. One decision of each kind, a deferral, and an explicit correction in the same meeting.
    review_on = day + timedelta(days=60)
    parked = decide("park", park=lio_events.Park(review_on=ts(review_on)))
    decide("no_action", no_action=lio_events.NoAction())
    decide("mono", local_approach=lio_events.LocalApproach(
        lead_team="team-vergunningen-bibob", interventions=["bibob-screening"],
        follow_ups=[lio_events.FollowUp(action="terugkoppeling Bibob-advies", team="team-vergunningen-bibob",
                                        due_on=ts(day + timedelta(days=42)))]))
    decide("multi", local_approach=lio_events.LocalApproach(
        multidisciplinary=True, lead_team="team-toezicht-handhaving", teams=["team-publiekszaken-brp", "team-toezicht-handhaving"],
        interventions=["brp-adresonderzoek", "integrale-controle"]),
        sharing=sharing_pb2.Sharing(legal_basis="AVG art. 6 lid 1 sub e", purpose="integrale controle",
                                    recipients=["team-publiekszaken-brp"], data_categories=["subject.address"]))
    with pytest.raises(grpc.RpcError) as no_grounds:
        decide("refer", refer_to_riec=lio_events.ReferToRiec(grounds=""), sharing=sharing_pb2.Sharing())
    assert {"refer_to_riec.grounds", "sharing.legal_basis"} <= {v.split(":")[0] for v in violations(no_grounds.value)}
    referral = decide("refer", refer_to_riec=lio_events.ReferToRiec(grounds="meerdere signalen, contante betalingen"), sharing=REFERRAL)
    with pytest.raises(grpc.RpcError) as twice:
        decide("refer", no_action=lio_events.NoAction())
    assert twice.value.code() == grpc.StatusCode.ALREADY_EXISTS
    correction = lio.RecordDecision(lio_pb2.RecordDecisionRequest(
        meeting_id=meeting, signal_id=sid["refer"], decided_by=CHAIR, reason="gronden aangevuld",
        refer_to_riec=lio_events.ReferToRiec(grounds="meerdere signalen, contante betalingen, recent opgerichte holding"),
        sharing=REFERRAL, corrects_decision_id=referral.decision_id), timeout=10)
    assert correction.recorded and correction.decision_id != referral.decision_id
    assert lio.DeferAgendaItem(lio_pb2.DeferAgendaItemRequest(meeting_id=meeting, signal_id=sid["defer"], reason="wacht op politie",
                                                              deferred_by=CHAIR), timeout=10).recorded

    # 5. The minutes (Markdown through gRPC) contain every decision, and no subject.
    md = lio.GetMinutes(lio_pb2.GetMinutesRequest(meeting_id=meeting, format=lio_pb2.MINUTES_FORMAT_MARKDOWN), timeout=10).content
    flat = " ".join(md.split())
    for text in ("Notulen Lokaal Informatie Overleg (LIO)", "| politie | lio-member | pol-23 |", "parkeren",
                 "geen actie; het signaal is afgesloten", "lokale aanpak, monodisciplinair", "Bibob-toets",
                 "terugkoppeling Bibob-advies", "lokale aanpak, multidisciplinair", "doorgeleiding naar het RIEC",
                 "recent opgerichte holding", "WGS art. 2.3", "riec-rotterdam, politie", "wacht op politie",
                 f"vervangt besluit {referral.decision_id}", *numbers.values()):
        assert text in flat, text
    assert "kvk:" not in md and "7000000" not in md

    # 6. The minutes CLI reads the topic itself and says the same, as HTML.
    cli = subprocess.run([sys.executable, "-m", "services.lio.minutes", meeting, "--format", "html"], cwd=ROOT, env=stack["env"],
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.startswith("<!DOCTYPE html>") and numbers["park"] in cli.stdout and "doorgeleiding naar het RIEC" in cli.stdout

    # 7. A meeting the day after the review date: the parked and the deferred signal are back, by themselves.
    later = lio.ScheduleMeeting(lio_pb2.ScheduleMeetingRequest(scheduled_for=ts(review_on + timedelta(days=1)), form="gso", chair=CHAIR),
                                timeout=10).meeting_id
    items = {i.signal_id: i for i in lio.GetAgenda(lio_pb2.GetAgendaRequest(meeting_id=later), timeout=5).items}
    assert items[sid["park"]].reason == lio_pb2.AGENDA_REASON_REVIEW_DUE
    assert items[sid["defer"]].reason == lio_pb2.AGENDA_REASON_DEFERRED
    assert not {sid[k] for k in ("no_action", "mono", "multi", "refer")} & set(items)
    # A meeting before the review date does not list it.
    before = lio.ScheduleMeeting(lio_pb2.ScheduleMeetingRequest(scheduled_for=ts(day + timedelta(days=7)), form="gso", chair=CHAIR),
                                 timeout=10).meeting_id
    assert sid["park"] not in {i.signal_id for i in lio.GetAgenda(lio_pb2.GetAgendaRequest(meeting_id=before), timeout=5).items}
    assert parked.recorded
