"""The unusual-access report on the running system, for individual staff: every read is logged
under the person's own certificate (staff:<personnel number>); a member who reads a signal that
was on the agenda of a meeting they attended is not flagged, a member who reads it without ever
sitting at that table is, with the reason."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest

from knooppunt.intake.v1 import intake_pb2
from knooppunt.lio.v1 import lio_pb2
from knooppunt.registration.v1 import registration_pb2
from knooppunt.sharing.v1 import sharing_pb2
from knooppunt.signal.v1 import signal_pb2
from tests.conftest import eventually
from tests.e2e.clients import stub
from tests.e2e.conftest import ROOT
from tests.e2e.test_walking_skeleton import registered, submit, ts

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]
MUNICIPALITY = "gemeente-maassluis"
CHAIR = sharing_pb2.Actor(person_id="mw-0042", role="lio-chair", organisation=MUNICIPALITY)
MEMBER = sharing_pb2.Actor(person_id="mw-0043", role="lio-member", organisation=MUNICIPALITY)
# mw-0045 is a member in the authorization table who attends no meeting in any test.
OUTSIDER = "staff:mw-0045"


def no_link_findings(report: str, signal_id: str) -> set[str]:
    """Readers flagged for reading ``signal_id`` without a link."""
    return {line.split()[1] for line in report.splitlines() if line.split()[:1] == ["no-link"] and signal_id in line}


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

    report = subprocess.run([sys.executable, "-m", "services.privacy.access_report", "--since", f"{datetime.now(UTC):%Y-%m-%d}"],
                            cwd=ROOT, env=stack["env"], capture_output=True, text=True, timeout=180)
    assert report.returncode == 0, report.stderr
    assert no_link_findings(report.stdout, signal_id) == {OUTSIDER}, report.stdout
    flagged = next(line for line in report.stdout.splitlines() if OUTSIDER in line and signal_id in line)
    assert "on the agenda of no meeting they attended" in flagged
