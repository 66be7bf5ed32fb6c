"""Sharing decisions driven through the LIO's gRPC API during a load, as demo.py does.

Decisions alternate between a multidisciplinary local approach with a sharing and a referral
to the RIEC and the police (so referral has work in flight when it is killed). Every one must
reach the audit log exactly once; each referral must be issued exactly once per recipient.
Retries after UNAVAILABLE are safe: an identical decision is recognised (`recorded=False`) and
publishes nothing new.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import grpc

from knooppunt.lio.v1 import events_pb2 as lio_events
from knooppunt.lio.v1 import lio_pb2, lio_pb2_grpc
from knooppunt.sharing.v1 import sharing_pb2
from prototime import to_timestamp

CHAIR = sharing_pb2.Actor(person_id="mw-0042", role="lio-chair", organisation="gemeente-maassluis")
# A quorate internal meeting (GSO): the chair and two members (services/lio/meeting_forms.toml).
PRESENT = (CHAIR, *(sharing_pb2.Actor(person_id=f"mw-{n}", role="lio-member", organisation="gemeente-maassluis")
                    for n in ("0107", "0311")))


LOCAL, REFERRAL = "local", "referral"
# Recipients of a referral decision: the RIEC, and the police (whose adapter acknowledges over Kafka).
REFERRAL_RECIPIENTS = ("riec-rotterdam", "politie")


def _decision(meeting_id: str, signal_id: str, kind: str) -> lio_pb2.RecordDecisionRequest:
    req = lio_pb2.RecordDecisionRequest(meeting_id=meeting_id, signal_id=signal_id, decided_by=CHAIR)
    if kind == REFERRAL:
        req.reason = "Aanwijzingen overstijgen de lokale aanpak (fault test)."
        req.refer_to_riec.CopyFrom(lio_events.ReferToRiec(grounds="Meerdere signalen, meter overbrugd (fault test)."))
        req.sharing.CopyFrom(sharing_pb2.Sharing(
            legal_basis="WGS art. 2.3 jo. Convenant RIEC Rotterdam art. 6", purpose="integrale aanpak ondermijning",
            recipients=list(REFERRAL_RECIPIENTS),
            data_categories=["signal.registration_number", "signal.themes", "signal.grounds", "subject.address"]))
        return req
    req.reason = "Huisvesting vraagt gezamenlijke aanpak (fault test)."
    req.local_approach.CopyFrom(lio_events.LocalApproach(
        multidisciplinary=True, lead_team="team-toezicht-handhaving", interventions=["integrale-controle"],
        teams=["team-publiekszaken-brp", "team-toezicht-handhaving"]))
    req.sharing.CopyFrom(sharing_pb2.Sharing(
        legal_basis="AVG art. 6 lid 1 sub e", purpose="integrale-controle-huisvesting",
        recipients=["team-publiekszaken-brp", "team-toezicht-handhaving"],
        data_categories=["signal.themes", "subject.address"], retention_rule="local-approach"))
    return req


async def _retry(call, timeout_s: float):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return await call()
        except grpc.aio.AioRpcError as err:
            not_yet = "no such registered signal" in (err.details() or "")  # LIO has not seen it yet
            if (err.code() == grpc.StatusCode.INVALID_ARGUMENT and not not_yet) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def decide(target: str, signal_ids: list[str], timeout_s: float = 180.0) -> dict[str, str]:
    """Schedule one meeting and record one sharing decision per signal, alternating local approach
    and referral; signal id -> kind (``local`` or ``referral``)."""
    decided: dict[str, str] = {}
    async with grpc.aio.insecure_channel(target) as channel:
        lio = lio_pb2_grpc.LioServiceStub(channel)
        now = to_timestamp(datetime.now(UTC))
        meeting = await _retry(lambda: lio.ScheduleMeeting(lio_pb2.ScheduleMeetingRequest(
            scheduled_for=now, form="gso", chair=CHAIR), timeout=10, wait_for_ready=True), timeout_s)
        for person in PRESENT:
            await _retry(lambda person=person: lio.RecordAttendance(lio_pb2.RecordAttendanceRequest(
                meeting_id=meeting.meeting_id, attendee=person), timeout=10, wait_for_ready=True), timeout_s)
        for n, sid in enumerate(signal_ids):
            kind = (LOCAL, REFERRAL)[n % 2]
            # The LIO knows a signal only once it was registered: retry until it does.
            await _retry(lambda sid=sid, kind=kind: lio.RecordDecision(_decision(meeting.meeting_id, sid, kind), timeout=10,
                                                                       wait_for_ready=True), timeout_s)
            decided[sid] = kind
    return decided
