"""The unusual-access report on the running system, for individual staff: every read is logged
under the person's own certificate (staff:<personnel number>); a member who reads a signal that
was on the agenda of a meeting they attended is not flagged, a member who reads it without ever
sitting at that table is, with the reason. Likewise for a meeting's agenda and minutes: read by
an attendee, not flagged; read by someone who took no part in the meeting, flagged naming it."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest

from cloudevents_kafka import EventTypes
from cloudevents_kafka.kafka import replay
from knooppunt.intake.v1 import intake_pb2
from knooppunt.privacy.v1 import events_pb2 as privacy_events
from knooppunt.lio.v1 import lio_pb2
from knooppunt.registration.v1 import registration_pb2
from knooppunt.sharing.v1 import sharing_pb2
from knooppunt.signal.v1 import signal_pb2
from tests.conftest import eventually
from tests.e2e.clients import stub
from tests.e2e.conftest import ROOT
from tests.e2e.test_walking_skeleton import registered, submit, ts
from topic_catalog import PRIVACY_READS

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]
MUNICIPALITY = "gemeente-maassluis"
CHAIR = sharing_pb2.Actor(person_id="mw-0042", role="lio-chair", organisation=MUNICIPALITY)
MEMBER = sharing_pb2.Actor(person_id="mw-0043", role="lio-member", organisation=MUNICIPALITY)
# mw-0045 is a member in the authorization table who attends no meeting in any test.
OUTSIDER = "staff:mw-0045"


def no_link_findings(report: str, object_id: str) -> set[str]:
    """Readers flagged for reading ``object_id`` (a signal or a meeting) without a link."""
    return {line.split()[1] for line in report.splitlines() if line.split()[:1] == ["no-link"] and object_id in line}


def access_report(stack: dict) -> str:
    report = subprocess.run([sys.executable, "-m", "services.privacy.access_report", "--since", f"{datetime.now(UTC):%Y-%m-%d}"],
                            cwd=ROOT, env=stack["env"], capture_output=True, text=True, timeout=180)
    assert report.returncode == 0, report.stderr
    return report.stdout


def test_a_staff_read_outside_ones_meetings_is_reported_and_an_attendees_is_not(stack: dict) -> None:
    intake = stub(stack, "intake")
    signal_id = submit(intake, f"toegang-{uuid.uuid4().hex[:8]}", signal_pb2.THEME_VASTGOED,
                       intake_pb2.SubjectInput(address=intake_pb2.AddressInput(postcode="3142AA", house_number=7)))
    # The member prepares the meeting: reads the signal with their own certificate.
    member = stub(stack, "registration", "staff:mw-0043")
    eventually(lambda: registered(member, signal_id), "the signal in the register")

    # The chair holds a meeting with the signal on its agenda; the member is recorded as present.
    lio = stub(stack, "lio", "staff:mw-0042")
    meeting = lio.ScheduleMeeting(lio_pb2.ScheduleMeetingRequest(scheduled_for=ts(datetime.now(UTC)), form="gso", chair=CHAIR),
                                  timeout=10).meeting_id
    eventually(lambda: signal_id in {i.signal_id for i in lio.GetAgenda(lio_pb2.GetAgendaRequest(meeting_id=meeting), timeout=5).items},
               "the signal on the agenda")
    for person in (CHAIR, MEMBER):
        lio.RecordAttendance(lio_pb2.RecordAttendanceRequest(meeting_id=meeting, attendee=person), timeout=10)

    # Another member, who sits at no meeting, looks the signal up.
    outsider = stub(stack, "registration", OUTSIDER)
    assert outsider.GetSignal(registration_pb2.GetSignalRequest(signal_id=signal_id), timeout=5).signal.signal_id == signal_id

    report = access_report(stack)
    assert no_link_findings(report, signal_id) == {OUTSIDER}, report
    flagged = next(line for line in report.splitlines() if OUTSIDER in line and signal_id in line)
    assert "on the agenda of no meeting they attended" in flagged


async def test_reading_a_meetings_agenda_or_minutes_without_attending_is_reported_and_an_attendees_is_not(stack: dict) -> None:
    # The chair schedules a meeting and records who came: the chair and one member.
    chair = stub(stack, "lio", "staff:mw-0042")
    meeting = chair.ScheduleMeeting(lio_pb2.ScheduleMeetingRequest(scheduled_for=ts(datetime.now(UTC)), form="gso", chair=CHAIR),
                                    timeout=10).meeting_id
    for person in (CHAIR, MEMBER):
        chair.RecordAttendance(lio_pb2.RecordAttendanceRequest(meeting_id=meeting, attendee=person), timeout=10)
    # The member who attended and a member who did not each read its agenda and minutes, with their own certificates.
    for reader in ("staff:mw-0043", OUTSIDER):
        lio = stub(stack, "lio", reader)
        lio.GetAgenda(lio_pb2.GetAgendaRequest(meeting_id=meeting), timeout=5)
        assert lio.GetMinutes(lio_pb2.GetMinutesRequest(meeting_id=meeting), timeout=10).content

    # The read log names the meeting that was read (its id, no content), under each reader.
    logged = {(e.data.reader.person_id, e.data.method.rsplit("/", 1)[-1])
              async for e in replay(stack["bootstrap"], [PRIVACY_READS.name], EventTypes(privacy_events.PersonalDataRead))
              if f"meeting_id={meeting}" in e.data.object_ids}
    assert {("staff:mw-0043", "GetAgenda"), ("staff:mw-0043", "GetMinutes"),
            (OUTSIDER, "GetAgenda"), (OUTSIDER, "GetMinutes")} <= logged

    report = access_report(stack)
    assert no_link_findings(report, meeting) == {OUTSIDER}, report
    flagged = [line for line in report.splitlines() if meeting in line]
    assert len(flagged) == 1, report  # once per person and meeting, however often and whatever they read of it
    assert f"read the agenda and minutes of meeting {meeting} without taking part in it" in flagged[0]
