"""The walking skeleton, driven only through gRPC and Kafka, as an outside client would.

Story: three source systems submit signals; the register numbers them; an LIO meeting parks
one, hands one to a multidisciplinary local approach and refers one to the RIEC and the police;
the police adapter receives exactly that referral and acknowledges it, the tax authority gets
nothing; the audit log holds one entry per sharing decision and verifies.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from knooppunt.audit.v1 import audit_pb2
from knooppunt.audit.v1 import events_pb2 as audit_events
from knooppunt.intake.v1 import intake_pb2
from knooppunt.lio.v1 import events_pb2 as lio_events
from knooppunt.lio.v1 import lio_pb2
from knooppunt.registration.v1 import registration_pb2
from knooppunt.sharing.v1 import sharing_pb2
from knooppunt.signal.v1 import signal_pb2
from tests.conftest import eventually
from tests.e2e.clients import stub

pytestmark = [pytest.mark.e2e, pytest.mark.kafka]
CHAIR = sharing_pb2.Actor(person_id="mw-0042", role="lio-chair", organisation="gemeente-maassluis")


def ts(dt: datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(dt)
    return t




def stubs(stack: dict) -> dict:
    return {name: stub(stack, name) for name in ("intake", "registration", "lio", "audit")}


def submit(intake, ref: str, theme: int, subject: intake_pb2.SubjectInput) -> str:  # noqa: ANN001
    sub = intake_pb2.SignalSubmission(channel=signal_pb2.CHANNEL_MUNICIPAL_TEAM, source="team-toezicht-handhaving", source_reference=ref,
                                      themes=[theme], description="e2e signal", subjects=[subject])
    return intake.SubmitSignal(intake_pb2.SubmitSignalRequest(signal=sub), timeout=10).receipt.signal_id


def registered(registration, signal_id: str):  # noqa: ANN001, ANN201
    try:
        return registration.GetSignal(registration_pb2.GetSignalRequest(signal_id=signal_id), timeout=5).signal
    except grpc.RpcError as err:
        assert err.code() == grpc.StatusCode.NOT_FOUND
        return None


def audit_entries(audit, signal_id: str) -> list:  # noqa: ANN001
    """The sharing entries about a signal (reads of it are logged as well, and checked apart)."""
    entries = audit.ListEntries(audit_pb2.ListEntriesRequest(signal_id=signal_id, page_size=500), timeout=5).entries
    return [e for e in entries if e.kind != audit_events.ENTRY_KIND_PERSONAL_DATA_READ]


def test_signal_to_partner_to_audit_log(stack: dict) -> None:
    s = stubs(stack)
    run = uuid.uuid4().hex[:8]
    # 1. Three signals come in through intake; a retry changes nothing.
    hennep = submit(s["intake"], f"hennep-{run}", signal_pb2.THEME_HENNEP_DRUGS,
                    intake_pb2.SubjectInput(address=intake_pb2.AddressInput(postcode="3141AB", house_number=5)))
    assert submit(s["intake"], f"hennep-{run}", signal_pb2.THEME_HENNEP_DRUGS,
                  intake_pb2.SubjectInput(address=intake_pb2.AddressInput(postcode="3141AB", house_number=5))) == hennep
    huis = submit(s["intake"], f"huis-{run}", signal_pb2.THEME_VASTGOED,
                  intake_pb2.SubjectInput(company=intake_pb2.CompanyInput(kvk_number="12345678")))
    boot = submit(s["intake"], f"boot-{run}", signal_pb2.THEME_WITWASSEN,
                  intake_pb2.SubjectInput(person=intake_pb2.PersonInput(bsn="111222333")))

    # 2. Each is registered exactly once with a number of this year.
    regs = {sid: eventually(lambda sid=sid: registered(s["registration"], sid), f"registration of {sid}") for sid in (hennep, huis, boot)}
    assert len({r.registration_number for r in regs.values()}) == 3
    assert all(r.registration_number.startswith(f"{datetime.now(UTC).year}-") for r in regs.values())
    assert regs[boot].subjects[0].key.startswith("person:") and "111222333" not in str(regs[boot])

    # 3. An LIO meeting takes one decision of each kind.
    meeting = s["lio"].ScheduleMeeting(lio_pb2.ScheduleMeetingRequest(scheduled_for=ts(datetime.now(UTC)), form="lio", chair=CHAIR), timeout=10).meeting_id
    eventually(lambda: {hennep, huis, boot} <= {i.signal_id for i in s["lio"].GetAgenda(lio_pb2.GetAgendaRequest(meeting_id=meeting), timeout=5).items}, "agenda")
    # The LIO form's quorum: at least three members, the chair included, and the police.
    for person in (CHAIR, sharing_pb2.Actor(person_id="mw-0043", role="lio-member", organisation="gemeente-maassluis"),
                   sharing_pb2.Actor(person_id="pol-9", role="lio-member", organisation="politie")):
        s["lio"].RecordAttendance(lio_pb2.RecordAttendanceRequest(meeting_id=meeting, attendee=person), timeout=10)
    park = lio_pb2.RecordDecisionRequest(meeting_id=meeting, signal_id=boot, reason="te weinig", decided_by=CHAIR,
                                         park=lio_events.Park(review_on=ts(datetime.now(UTC) + timedelta(days=60))))
    local = lio_pb2.RecordDecisionRequest(
        meeting_id=meeting, signal_id=huis, reason="samen", decided_by=CHAIR,
        local_approach=lio_events.LocalApproach(multidisciplinary=True, lead_team="th", teams=["brp", "th"], interventions=["integrale-controle"]),
        sharing=sharing_pb2.Sharing(legal_basis="AVG 6.1.e", purpose="controle", recipients=["brp", "th"], data_categories=["subject.company"]))
    refer = lio_pb2.RecordDecisionRequest(
        meeting_id=meeting, signal_id=hennep, reason="ernstig", decided_by=CHAIR,
        refer_to_riec=lio_events.ReferToRiec(grounds="meter overbrugd, verbruik x3"),
        sharing=sharing_pb2.Sharing(legal_basis="WGS art. 2.3", purpose="integrale aanpak ondermijning",
                                    recipients=["riec-rotterdam", "politie"], data_categories=["signal.themes", "subject.address"]))
    ids = {name: s["lio"].RecordDecision(req, timeout=10) for name, req in (("park", park), ("local", local), ("refer", refer))}
    assert all(r.recorded for r in ids.values())
    # A retried identical decision is recognised; it records nothing new.
    retry = s["lio"].RecordDecision(refer, timeout=10)
    assert (retry.decision_id, retry.recorded) == (ids["refer"].decision_id, False)

    # 4. The police adapter receives exactly this referral and acknowledges it; the tax authority gets nothing.
    police_file = stack["run"] / "partners" / "politie" / "received.jsonl"

    def police_referrals() -> list[dict]:
        if not police_file.exists():
            return []
        return [r for r in map(json.loads, police_file.read_text().splitlines()) if r.get("signal_id") == hennep]

    received = eventually(police_referrals, "the referral at the police adapter")
    assert len(received) == 1 and received[0]["recipient"] == "politie"
    tax_file = stack["run"] / "partners" / "belastingdienst" / "received.jsonl"
    assert not tax_file.exists() or hennep not in tax_file.read_text()

    # 5. The audit log: the referral decision, two referrals issued, the police acknowledgement;
    #    the multidisciplinary decision once; the park decision shares nothing and is not there.
    def complete() -> list | None:
        kinds = sorted(audit_events.EntryKind.Name(e.kind) for e in audit_entries(s["audit"], hennep))
        return kinds if kinds == ["ENTRY_KIND_LIO_DECISION", "ENTRY_KIND_REFERRAL_ACKNOWLEDGED",
                                  "ENTRY_KIND_REFERRAL_ISSUED", "ENTRY_KIND_REFERRAL_ISSUED"] else None

    eventually(complete, "the audit entries of the referral")
    assert [e.kind for e in audit_entries(s["audit"], huis)] == [audit_events.ENTRY_KIND_LIO_DECISION]
    assert audit_entries(s["audit"], boot) == []
    decision_entry = next(e for e in audit_entries(s["audit"], hennep) if e.kind == audit_events.ENTRY_KIND_LIO_DECISION)
    assert decision_entry.actor.role == "lio-chair" and decision_entry.sharing.legal_basis == "WGS art. 2.3"
    assert s["audit"].VerifyLog(audit_pb2.VerifyLogRequest(), timeout=30).ok

    # 6. The auditor's CLI, with read access only, replays and verifies the log.
    cli = [sys.executable, "-m", "services.audit.cli"]
    replay = subprocess.run([*cli, "replay", "--format", "jsonl"], env=stack["env"], capture_output=True, text=True, timeout=120)
    assert replay.returncode == 0, replay.stderr
    replayed = [json.loads(line) for line in replay.stdout.splitlines() if line.strip()]
    about_hennep = [e for e in replayed if e.get("signal_id") == hennep]
    assert sum(1 for e in about_hennep if e.get("kind") != "ENTRY_KIND_PERSONAL_DATA_READ") == 4
    # Every read of the signal's personal data (GetSignal above) was logged with its purpose.
    reads = [e for e in about_hennep if e.get("kind") == "ENTRY_KIND_PERSONAL_DATA_READ"]
    assert reads and all(r["sharing"]["purpose"] for r in reads)
    verify = subprocess.run([*cli, "verify"], env=stack["env"], capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0 and "OK" in verify.stdout, verify.stdout + verify.stderr

    # 7. The register follows the decisions.
    assert registered(s["registration"], hennep).status == registration_pb2.SIGNAL_STATUS_REFERRED or eventually(
        lambda: registered(s["registration"], hennep).status == registration_pb2.SIGNAL_STATUS_REFERRED, "status referred")
